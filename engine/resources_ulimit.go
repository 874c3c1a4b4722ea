package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rlimitType is the OCI name of a go-units ulimit name: nofile -> RLIMIT_NOFILE.
func rlimitType(name string) string { return "RLIMIT_" + strings.ToUpper(name) }

// resource is the kernel's number of a ulimit name.
func (u Ulimit) resource() (int, error) {
	ul, err := (&units.Ulimit{Name: u.Name, Soft: int64(u.Soft), Hard: int64(u.Hard)}).GetRlimit()
	if err != nil {
		return 0, err
	}
	return ul.Type, nil
}

// checkUlimits refuses a hard limit above the current one when this process cannot
// raise it (no CAP_SYS_RESOURCE, as for root on some hosts, or rootless): the start
// would fail inside the container's init with a bare EPERM.
func checkUlimits(ul []Ulimit, rootless bool) error {
	if !rootless && hasCapSysResource() {
		return nil
	}
	for _, u := range ul {
		res, err := u.resource()
		if err != nil {
			return fmt.Errorf("ulimit %s: %v: %w", u.Name, err, ErrInvalidArg)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(res, &cur); err != nil {
			continue
		}
		if u.Hard > cur.Max {
			return fmt.Errorf("ulimit %s: hard limit %s is above the current hard limit %s and raising it needs CAP_SYS_RESOURCE: %w",
				u.Name, limitString(u.Hard), limitString(cur.Max), ErrInvalidArg)
		}
	}
	return nil
}

func limitString(n uint64) string {
	if n == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(n, 10)
}

// hasCapSysResource reads CapEff of this process.
func hasCapSysResource() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	return false
}

// specRlimits puts the --ulimit values over the defaults buildSpec set.
func specRlimits(p *specs.Process, ul []Ulimit) {
	for _, u := range ul {
		rl := specs.POSIXRlimit{Type: rlimitType(u.Name), Soft: u.Soft, Hard: u.Hard}
		replaced := false
		for i := range p.Rlimits {
			if p.Rlimits[i].Type == rl.Type {
				p.Rlimits[i], replaced = rl, true
			}
		}
		if !replaced {
			p.Rlimits = append(p.Rlimits, rl)
		}
	}
}

// processRlimits converts the spec's rlimits for libcontainer.Process: runc's
// specconv leaves them out of the container config (runc's CLI sets them on the
// process), so the create helper must pass them on, or every --ulimit is lost.
func processRlimits(in []specs.POSIXRlimit) ([]configs.Rlimit, error) {
	out := make([]configs.Rlimit, 0, len(in))
	for _, rl := range in {
		name := strings.ToLower(strings.TrimPrefix(rl.Type, "RLIMIT_"))
		res, err := Ulimit{Name: name}.resource()
		if err != nil {
			return nil, fmt.Errorf("rlimit %s: %w", rl.Type, err)
		}
		out = append(out, configs.Rlimit{Type: res, Hard: rl.Hard, Soft: rl.Soft})
	}
	return out, nil
}
