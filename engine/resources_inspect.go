package engine

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// InspectHostResources are the limits in inspect's HostConfig (podman's names).
type InspectHostResources struct {
	Memory            int64           `json:"Memory"`
	MemorySwap        int64           `json:"MemorySwap"`
	MemoryReservation int64           `json:"MemoryReservation"`
	MemorySwappiness  int64           `json:"MemorySwappiness"`
	NanoCpus          int64           `json:"NanoCpus"`
	CpuShares         uint64          `json:"CpuShares"` //nolint:revive // docker's name
	CpuPeriod         uint64          `json:"CpuPeriod"` //nolint:revive
	CpuQuota          int64           `json:"CpuQuota"`  //nolint:revive
	CpusetCpus        string          `json:"CpusetCpus"`
	CpusetMems        string          `json:"CpusetMems"`
	PidsLimit         int64           `json:"PidsLimit"`
	BlkioWeight       uint16          `json:"BlkioWeight"`
	OomKillDisable    bool            `json:"OomKillDisable"`
	ShmSize           int64           `json:"ShmSize"`
	Ulimits           []InspectUlimit `json:"Ulimits"`
	// Throttled block devices, docker's names.
	BlkioDeviceReadBps   []InspectThrottle `json:"BlkioDeviceReadBps"`
	BlkioDeviceWriteBps  []InspectThrottle `json:"BlkioDeviceWriteBps"`
	BlkioDeviceReadIOps  []InspectThrottle `json:"BlkioDeviceReadIOps"`
	BlkioDeviceWriteIOps []InspectThrottle `json:"BlkioDeviceWriteIOps"`
}

// InspectUlimit is one rlimit of the container, as podman lists them.
type InspectUlimit struct {
	Name string `json:"Name"` // RLIMIT_NOFILE
	Soft uint64 `json:"Soft"`
	Hard uint64 `json:"Hard"`
}

// inspectResources fills the resource parts of inspect.
func (c *Container) inspectResources(d *InspectData) {
	rc := c.Config.Resources
	h := &d.HostConfig.InspectHostResources
	h.Memory, h.MemorySwap, h.MemoryReservation, h.MemorySwappiness = rc.Memory, rc.MemorySwap, rc.MemoryReservation, -1
	h.NanoCpus, h.CpuShares, h.CpusetCpus, h.CpusetMems = rc.NanoCPUs, rc.CPUShares, rc.CPUSetCPUs, rc.CPUSetMems
	if rc.NanoCPUs != 0 {
		h.CpuPeriod, h.CpuQuota = cpuPeriod, rc.NanoCPUs*cpuPeriod/1e9
	}
	if rc.CPUPeriod != 0 {
		h.CpuPeriod = rc.CPUPeriod
	}
	if rc.CPUQuota != 0 {
		h.CpuQuota = rc.CPUQuota
	}
	if rc.MemorySwappiness != nil {
		h.MemorySwappiness = *rc.MemorySwappiness
	}
	h.BlkioDeviceReadBps, h.BlkioDeviceWriteBps = inspectThrottles(rc.Throttle[readBps]), inspectThrottles(rc.Throttle[writeBps])
	h.BlkioDeviceReadIOps, h.BlkioDeviceWriteIOps = inspectThrottles(rc.Throttle[readIOPS]), inspectThrottles(rc.Throttle[writeIOPS])
	h.PidsLimit, h.BlkioWeight, h.OomKillDisable = rc.PidsLimit, rc.BlkioWeight, rc.OOMKillDisable
	h.ShmSize = rc.ShmSize
	if h.ShmSize == 0 {
		h.ShmSize = defaultShmSize
	}
	h.Ulimits = inspectUlimits(rc.Ulimits)
	d.State.OOMKilled = c.oomKilled(d.State.ExitCode, d.State.FinishedAt.UnixNano())
}

// inspectUlimits lists the rlimits the container gets: buildSpec's NOFILE default
// (the current hard limit), overridden or extended by --ulimit.
func inspectUlimits(ul []Ulimit) []InspectUlimit {
	out := []InspectUlimit{}
	var nofile unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile) == nil {
		out = append(out, InspectUlimit{Name: "RLIMIT_NOFILE", Soft: nofile.Max, Hard: nofile.Max})
	}
	for _, u := range ul {
		iu := InspectUlimit{Name: rlimitType(u.Name), Soft: u.Soft, Hard: u.Hard}
		if len(out) > 0 && out[0].Name == iu.Name {
			out[0] = iu
			continue
		}
		out = append(out, iu)
	}
	return out
}

// fileOOM, in the persistent directory, holds the exit record ("CODE UNIXNANO")
// of the run that the kernel's OOM killer ended, so that it stays true for that
// exit only and survives the cgroup, which cleanup destroys.
const fileOOM = "oom-killed"

// RecordOOM notes whether the OOM killer killed a process of the container's
// last run. Cleanup calls it with the loaded libcontainer container after the
// monitor wrote the exit file and before Destroy removes the cgroup, whose
// counters are the only evidence.
func (c *Container) RecordOOM(run string, lc *libcontainer.Container) {
	if !cgroupOOMKilled(lc) {
		return
	}
	exit, err := os.ReadFile(filepath.Join(run, fileExit))
	if err != nil {
		return
	}
	if d, err := c.DataDir(); err == nil {
		_ = writeFileAtomic(filepath.Join(d, fileOOM), exit, 0o600)
	}
}

// cgroupOOMKilled reads the oom_kill counter of the container's memory cgroup:
// memory.oom_control on cgroup v1, memory.events on v2.
func cgroupOOMKilled(lc *libcontainer.Container) bool {
	st, err := lc.State()
	if err != nil {
		return false
	}
	if p := st.CgroupPaths["memory"]; p != "" {
		return counter(filepath.Join(p, "memory.oom_control"), "oom_kill") > 0
	}
	if p := st.CgroupPaths[""]; p != "" {
		return counter(filepath.Join(p, "memory.events"), "oom_kill") > 0
	}
	return false
}

// counter reads "KEY N" from a cgroup file.
func counter(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == key {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// oomKilled tells whether the exit with code at finishedNano was an OOM kill.
func (c *Container) oomKilled(code int, finishedNano int64) bool {
	d, err := c.DataDir()
	if err != nil {
		return false
	}
	oc, at, ok := readExit(filepath.Join(d, fileOOM))
	return ok && oc == code && at.UnixNano() == finishedNano
}
