package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/cgroups"
	"go.podman.io/storage/pkg/parsers"
)

// cgroupHost is what the host's cgroups can enforce.
type cgroupHost struct {
	v2     bool
	usable bool // root, or cgroup v2 (where delegation gives a rootless user a subtree)
}

func detectCgroups(rootless bool) cgroupHost {
	v2 := cgroups.IsCgroup2UnifiedMode()
	return cgroupHost{v2: v2, usable: !rootless || v2}
}

// v1File is the path of a file at the root of a cgroup v1 hierarchy.
func v1File(subsystem, file string) string {
	mnt, err := cgroups.FindCgroupMountpoint("", subsystem)
	if err != nil {
		mnt = filepath.Join("/sys/fs/cgroup", subsystem)
	}
	return filepath.Join(mnt, file)
}

// check drops what the kernel cannot enforce, with podman's warnings, and checks
// the cpusets against the CPUs and memory nodes there are.
func (h cgroupHost) check(rc *ResourceConfig, swapAsked bool) error {
	if !h.usable {
		return nil
	}
	if rc.BlkioWeight != 0 && !h.blkioWeight() {
		warnDiscard("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		rc.BlkioWeight = 0
	}
	if rc.MemorySwap != 0 && !h.v2 && !fileExists(v1File("memory", "memory.memsw.limit_in_bytes")) {
		if swapAsked {
			warnDiscard("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.")
		}
		rc.MemorySwap = 0
	}
	if rc.MemorySwappiness != nil && h.v2 {
		warnDiscard("Your kernel does not support memory swappiness capabilities. Memory swappiness discarded.")
		rc.MemorySwappiness = nil
	}
	if rc.OOMKillDisable && h.v2 {
		warnDiscard("Your kernel does not support OomKillDisable. OomKillDisable discarded.")
		rc.OOMKillDisable = false
	}
	if err := checkCpusetAvailable("CPUs", rc.CPUSetCPUs, h.available("cpus")); err != nil {
		return err
	}
	return checkCpusetAvailable("memory nodes", rc.CPUSetMems, h.available("mems"))
}

func (h cgroupHost) blkioWeight() bool {
	if h.v2 {
		b, _ := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		return strings.Contains(" "+string(b)+" ", " io ")
	}
	return fileExists(v1File("blkio", "blkio.weight")) || fileExists(v1File("blkio", "blkio.bfq.weight"))
}

// available reads the CPUs ("cpus") or memory nodes ("mems") containers may use.
func (h cgroupHost) available(kind string) string {
	path := v1File("cpuset", "cpuset.effective_"+kind)
	if h.v2 {
		path = "/sys/fs/cgroup/cpuset." + kind + ".effective"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// checkCpusetAvailable fails when want names a CPU or node outside have (podman's
// message); an unreadable have is not checked.
func checkCpusetAvailable(what, want, have string) error {
	if want == "" || have == "" {
		return nil
	}
	w, err := parsers.ParseUintList(want)
	if err != nil {
		return err
	}
	hv, err := parsers.ParseUintList(have)
	if err != nil {
		return nil
	}
	for n := range w {
		if !hv[n] {
			return fmt.Errorf("requested %s are not available - requested %s, available: %s: %w", what, want, have, ErrInvalidArg)
		}
	}
	return nil
}

// checkDelegation fails when a rootless container on cgroup v2 asks for a limit
// whose controller the user's cgroup does not delegate: libcontainer creates the
// container's cgroup next to the engine's own (under its parent), so the parent's
// cgroup.subtree_control must list the controller.
func checkDelegation(rc *ResourceConfig) error {
	own, err := ownCgroupV2()
	if err != nil {
		return nil // nothing to check against; libcontainer reports it at start
	}
	parent := filepath.Join("/sys/fs/cgroup", filepath.Dir(own))
	b, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	if err != nil {
		return nil
	}
	if missing := missingControllers(string(b), rc); len(missing) > 0 {
		return fmt.Errorf("rootless containers cannot set these resource limits: the cgroup v2 controllers %s are not delegated to this user (%s/cgroup.subtree_control): %w",
			strings.Join(missing, ", "), parent, ErrInvalidArg)
	}
	return nil
}

// ownCgroupV2 is this process's cgroup v2 path ("0::/PATH" in /proc/self/cgroup).
func ownCgroupV2() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no cgroup v2 entry in /proc/self/cgroup")
}

// missingControllers lists the controllers rc needs that subtreeControl lacks.
func missingControllers(subtreeControl string, rc *ResourceConfig) []string {
	have := map[string]bool{}
	for _, c := range strings.Fields(subtreeControl) {
		have[c] = true
	}
	need := []struct {
		ctl  string
		used bool
	}{
		{"memory", rc.Memory != 0 || rc.MemorySwap != 0 || rc.MemoryReservation != 0},
		{"cpu", rc.NanoCPUs != 0 || rc.CPUShares != 0 || rc.CPUPeriod != 0 || rc.CPUQuota != 0},
		{"cpuset", rc.CPUSetCPUs != "" || rc.CPUSetMems != ""},
		{"pids", rc.PidsLimit != 0},
		{"io", rc.BlkioWeight != 0 || len(rc.Throttle) > 0},
	}
	var missing []string
	for _, n := range need {
		if n.used && !have[n.ctl] {
			missing = append(missing, n.ctl)
		}
	}
	return missing
}
