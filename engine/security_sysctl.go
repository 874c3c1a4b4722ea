package engine

import (
	"fmt"
	"strings"

	"go.podman.io/common/pkg/sysctl"
)

// parseSysctls checks --sysctl KEY=VALUE: only namespaced sysctls (net.*, the IPC
// ones, fs.mqueue.*), as docker and podman validate; the IPC ones not when the
// container shares the host's IPC namespace.
func parseSysctls(in []string, ipc NamespaceMode) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m, err := sysctl.Validate(in)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrInvalidArg)
	}
	if ipc.Host() {
		for k, v := range m {
			if strings.HasPrefix(k, "kernel.") || strings.HasPrefix(k, "fs.mqueue.") {
				return nil, fmt.Errorf("sysctl %s=%s can't be set since IPC Namespace set to host: %w", k, v, ErrInvalidArg)
			}
		}
	}
	return m, nil
}

// validUserNS checks --userns: host (the default), keep-id and auto are known;
// only host is implemented for now (see checkUserNS).
func validUserNS(s string) error {
	mode, _, _ := strings.Cut(s, ":")
	switch mode {
	case "", "host", "keep-id", "auto":
		return nil
	}
	return fmt.Errorf("invalid --userns %q (want host, keep-id or auto): %w", s, ErrInvalidArg)
}

// checkUserNS refuses the user-namespace modes this engine does not implement
// yet, rather than running the container in a different one than asked for.
func (r *Runtime) checkUserNS(s string) error {
	mode, _, _ := strings.Cut(s, ":")
	switch mode {
	case "", "host":
		return nil
	case "keep-id":
		if !r.rootless {
			return fmt.Errorf("keep-id is only supported in rootless mode: %w", ErrInvalidArg)
		}
	}
	return fmt.Errorf("--userns=%s is not supported yet: %w", s, ErrInvalidArg)
}
