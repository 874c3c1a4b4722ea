package engine

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// specResources puts the limits into spec: rlimits and the /dev/shm size always,
// cgroup limits where the container has a cgroup (libcontainer applies
// spec.Linux.Resources to it).
func (c *Container) specResources(spec *specs.Spec) error {
	rc := c.Config.Resources
	specRlimits(spec.Process, rc.Ulimits)
	setShmSize(spec.Mounts, rc.ShmSize)
	if !detectCgroups(c.r.rootless).usable {
		return nil
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	res := spec.Linux.Resources
	if m := specMemory(rc); m != nil {
		res.Memory = m
	}
	if cpu := specCPU(rc); cpu != nil {
		res.CPU = cpu
	}
	if rc.PidsLimit > 0 {
		res.Pids = &specs.LinuxPids{Limit: ptr(rc.PidsLimit)}
	}
	if rc.BlkioWeight != 0 {
		res.BlockIO = &specs.LinuxBlockIO{Weight: ptr(rc.BlkioWeight)}
	}
	specThrottles(res, rc.Throttle)
	return nil
}

func ptr[T any](v T) *T { return &v }

func specMemory(rc ResourceConfig) *specs.LinuxMemory {
	if rc.Memory == 0 && rc.MemoryReservation == 0 && rc.MemorySwap == 0 && !rc.OOMKillDisable && rc.MemorySwappiness == nil {
		return nil
	}
	m := &specs.LinuxMemory{}
	if rc.Memory != 0 {
		m.Limit = ptr(rc.Memory)
	}
	if rc.MemorySwap != 0 {
		m.Swap = ptr(rc.MemorySwap)
	}
	if rc.MemoryReservation != 0 {
		m.Reservation = ptr(rc.MemoryReservation)
	}
	if rc.OOMKillDisable {
		m.DisableOOMKiller = ptr(true)
	}
	if rc.MemorySwappiness != nil {
		m.Swappiness = ptr(uint64(*rc.MemorySwappiness))
	}
	return m
}

func specCPU(rc ResourceConfig) *specs.LinuxCPU {
	if rc.NanoCPUs == 0 && rc.CPUShares == 0 && rc.CPUSetCPUs == "" && rc.CPUSetMems == "" && rc.CPUPeriod == 0 && rc.CPUQuota == 0 {
		return nil
	}
	cpu := &specs.LinuxCPU{Cpus: rc.CPUSetCPUs, Mems: rc.CPUSetMems}
	if rc.CPUShares != 0 {
		cpu.Shares = ptr(rc.CPUShares)
	}
	if rc.NanoCPUs != 0 {
		cpu.Period = ptr(uint64(cpuPeriod))
		cpu.Quota = ptr(rc.NanoCPUs * cpuPeriod / 1e9)
	}
	if rc.CPUPeriod != 0 {
		cpu.Period = ptr(rc.CPUPeriod)
	}
	if rc.CPUQuota != 0 {
		cpu.Quota = ptr(rc.CPUQuota)
	}
	return cpu
}

// setShmSize sets the size of the /dev/shm tmpfs buildSpec added.
func setShmSize(mounts []specs.Mount, size int64) {
	if size == 0 {
		size = defaultShmSize
	}
	for i := range mounts {
		// Only the default mount: a user's --tmpfs /dev/shm:size=... keeps its size.
		if mounts[i].Destination != "/dev/shm" || mounts[i].Type != "tmpfs" || mounts[i].Source != "shm" {
			continue
		}
		opts := mounts[i].Options[:0:0]
		for _, o := range mounts[i].Options {
			if !strings.HasPrefix(o, "size=") {
				opts = append(opts, o)
			}
		}
		mounts[i].Options = append(opts, fmt.Sprintf("size=%d", size))
	}
}
