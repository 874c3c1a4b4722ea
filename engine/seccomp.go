package engine

import (
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/seccomp"
)

// seccompUnconfined is --security-opt seccomp=unconfined.
const seccompUnconfined = "unconfined"

// loadSeccompFile reads and checks a --security-opt seccomp=PROFILE at create, so
// that the container keeps the profile it was created with (as podman and docker).
func loadSeccompFile(path string) (string, error) {
	if path == "" || path == seccompUnconfined {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("opening seccomp profile failed: %v: %w", err, ErrInvalidArg)
	}
	prof, err := seccomp.LoadProfile(string(b), &specs.Spec{Process: &specs.Process{}})
	if err == nil {
		// libcontainer's conversion knows the actions, operators and flags.
		_, err = specconv.SetupSeccomp(prof)
	}
	if err != nil {
		return "", fmt.Errorf("loading seccomp profile %s failed: %v: %w", path, err, ErrInvalidArg)
	}
	return string(b), nil
}

// specSeccomp sets the seccomp filter once the capabilities are final: podman's
// default profile allows some syscalls only with the capability that guards them.
// --privileged runs unconfined unless a profile was given explicitly.
func (sc *SecurityConfig) specSeccomp(spec *specs.Spec) error {
	var (
		prof *specs.LinuxSeccomp
		err  error
	)
	switch {
	case sc.Seccomp == seccompUnconfined:
		return nil
	case sc.SeccompProfile != "":
		prof, err = seccomp.LoadProfile(sc.SeccompProfile, spec)
	case sc.Privileged || !seccomp.IsEnabled():
		return nil
	default:
		prof, err = seccomp.GetDefaultProfile(spec)
	}
	if err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	trimSeccompArches(prof)
	spec.Linux.Seccomp = prof
	return nil
}
