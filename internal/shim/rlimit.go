package shim

import (
	"fmt"
	"strings"

	units "github.com/docker/go-units"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Rlimits converts the spec's rlimits for libcontainer.Process: runc's specconv
// leaves them out of the container config (runc's CLI sets them on the
// process), so Create must pass them on, or every --ulimit is lost.
func Rlimits(in []specs.POSIXRlimit) ([]configs.Rlimit, error) {
	out := make([]configs.Rlimit, 0, len(in))
	for _, rl := range in {
		name := strings.ToLower(strings.TrimPrefix(rl.Type, "RLIMIT_"))
		ul, err := (&units.Ulimit{Name: name}).GetRlimit()
		if err != nil {
			return nil, fmt.Errorf("rlimit %s: %w", rl.Type, err)
		}
		out = append(out, configs.Rlimit{Type: ul.Type, Hard: rl.Hard, Soft: rl.Soft})
	}
	return out, nil
}
