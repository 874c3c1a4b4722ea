package engine

import (
	"fmt"

	"github.com/sirupsen/logrus"
)

// ResourceOptions are the cgroup and rlimit flags of create/run, as the user typed
// them: Parse validates them (the CLI calls it before it pulls anything) and
// applyResources checks them against the host.
type ResourceOptions struct {
	Memory            string   // --memory
	MemorySwap        string   // --memory-swap: memory+swap, -1 for unlimited swap
	MemoryReservation string   // --memory-reservation (soft limit)
	MemorySwappiness  *int64   // --memory-swappiness, 0 to 100; nil or -1 for the kernel's
	CPUs              string   // --cpus, decimal
	CPUPeriod         uint64   // --cpu-period (microseconds)
	CPUQuota          int64    // --cpu-quota (microseconds per period)
	CPUShares         uint64   // --cpu-shares
	CPUSetCPUs        string   // --cpuset-cpus
	CPUSetMems        string   // --cpuset-mems
	PidsLimit         *int64   // --pids-limit; nil for the default, <= 0 for none
	BlkioWeight       uint16   // --blkio-weight, 10 to 1000
	Ulimits           []string // --ulimit name=soft[:hard]
	OOMKillDisable    bool     // --oom-kill-disable
	ShmSize           string   // --shm-size
	// Throttle holds --device-read-bps, --device-write-bps, --device-read-iops and
	// --device-write-iops (keyed read-bps ... write-iops), each PATH:RATE.
	Throttle map[string][]string
}

// ResourceConfig is what Create kept of ResourceOptions. Sizes are bytes; zero
// fields mean "no limit" (MemorySwap -1: unlimited swap; PidsLimit 0: none).
type ResourceConfig struct {
	Memory            int64    `json:"memory,omitempty"`
	MemorySwap        int64    `json:"memorySwap,omitempty"`
	MemoryReservation int64    `json:"memoryReservation,omitempty"`
	MemorySwappiness  *int64   `json:"memorySwappiness,omitempty"`
	NanoCPUs          int64    `json:"nanoCpus,omitempty"`
	CPUPeriod         uint64   `json:"cpuPeriod,omitempty"`
	CPUQuota          int64    `json:"cpuQuota,omitempty"`
	CPUShares         uint64   `json:"cpuShares,omitempty"`
	CPUSetCPUs        string   `json:"cpusetCpus,omitempty"`
	CPUSetMems        string   `json:"cpusetMems,omitempty"`
	PidsLimit         int64    `json:"pidsLimit,omitempty"`
	BlkioWeight       uint16   `json:"blkioWeight,omitempty"`
	Ulimits           []Ulimit `json:"ulimits,omitempty"`
	OOMKillDisable    bool     `json:"oomKillDisable,omitempty"`
	ShmSize           int64    `json:"shmSize,omitempty"` // 0: the default, 64 MiB
	// Throttle maps read-bps, write-bps, read-iops, write-iops to devices.
	Throttle map[string][]ThrottleDevice `json:"throttle,omitempty"`
}

// Ulimit is one --ulimit: a name as go-units knows it (nofile, nproc, ...) and
// its limits; math.MaxUint64 is unlimited.
type Ulimit struct {
	Name string `json:"name"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Limits of podman and docker.
const (
	minMemory        = 6 << 20 // 6 MiB, as podman and docker
	defaultPidsLimit = 2048    // podman's containers.conf default
	defaultShmSize   = 64 << 20
	cpuPeriod        = 100000 // microseconds, the kernel's default CFS period
	minCPUShares     = 2
	maxCPUShares     = 262144
)

// usesCgroups tells whether the config asks for anything a cgroup enforces. The
// default pids limit is not counted: it applies only where cgroups are usable.
func (rc *ResourceConfig) usesCgroups(explicitPids bool) bool {
	return rc.Memory != 0 || rc.MemorySwap != 0 || rc.MemoryReservation != 0 || rc.NanoCPUs != 0 ||
		rc.CPUShares != 0 || rc.CPUSetCPUs != "" || rc.CPUSetMems != "" || rc.BlkioWeight != 0 ||
		rc.OOMKillDisable || (explicitPids && rc.PidsLimit != 0) || rc.CPUPeriod != 0 || rc.CPUQuota != 0 ||
		rc.MemorySwappiness != nil || len(rc.Throttle) > 0
}

// applyResources validates o, checks it against the host's cgroups and rlimits,
// and records it in cfg.
func (r *Runtime) applyResources(cfg *Config, o ResourceOptions) error {
	rc, err := o.Parse()
	if err != nil {
		return err
	}
	cg := detectCgroups(r.rootless)
	if !cg.usable {
		if rc.usesCgroups(o.PidsLimit != nil) {
			return fmt.Errorf("rootless containers cannot set resource limits on cgroup v1 (%s): run as root or on cgroup v2 with delegation: %w", o.flagsSet(), ErrInvalidArg)
		}
		rc.PidsLimit = 0
	} else if o.PidsLimit == nil && !r.rootless {
		// Not by default rootless (cgroup v2): without delegation of the pids
		// controller every start would fail.
		rc.PidsLimit = defaultPidsLimit
	}
	if r.rootless && cg.v2 {
		if err := checkDelegation(&rc); err != nil {
			return err
		}
	}
	if err := cg.check(&rc, o.MemorySwap != ""); err != nil {
		return err
	}
	if err := resolveThrottles(rc.Throttle); err != nil {
		return err
	}
	if err := checkUlimits(rc.Ulimits, r.rootless); err != nil {
		return err
	}
	cfg.Resources = rc
	return nil
}

// flagsSet names the cgroup flags that were given, for the rootless error.
func (o ResourceOptions) flagsSet() string {
	var out string
	add := func(set bool, name string) {
		if set {
			if out != "" {
				out += ", "
			}
			out += name
		}
	}
	add(o.Memory != "", "--memory")
	add(o.MemorySwap != "", "--memory-swap")
	add(o.MemoryReservation != "", "--memory-reservation")
	add(o.CPUs != "", "--cpus")
	add(o.CPUPeriod != 0, "--cpu-period")
	add(o.CPUQuota != 0, "--cpu-quota")
	add(o.MemorySwappiness != nil, "--memory-swappiness")
	for _, k := range throttleKinds {
		add(len(o.Throttle[k]) > 0, "--device-"+k)
	}
	add(o.CPUShares != 0, "--cpu-shares")
	add(o.CPUSetCPUs != "", "--cpuset-cpus")
	add(o.CPUSetMems != "", "--cpuset-mems")
	add(o.PidsLimit != nil, "--pids-limit")
	add(o.BlkioWeight != 0, "--blkio-weight")
	add(o.OOMKillDisable, "--oom-kill-disable")
	return out
}

// warnDiscard tells the user that a limit the kernel cannot enforce was dropped,
// as podman does, rather than failing the start.
func warnDiscard(msg string) { logrus.Warn(msg) }
