package engine

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Stats is one sample of a container's resource use (podman's JSON field names).
type Stats struct {
	ContainerID string        `json:"ContainerID"`
	Name        string        `json:"Name"`
	CPU         float64       `json:"CPU"`      // percent of one CPU since the previous sample
	CPUNano     uint64        `json:"CPUNano"`  // total CPU time
	MemUsage    uint64        `json:"MemUsage"` // bytes
	MemLimit    uint64        `json:"MemLimit"`
	MemPerc     float64       `json:"MemPerc"`
	NetInput    uint64        `json:"NetInput"`
	NetOutput   uint64        `json:"NetOutput"`
	BlockInput  uint64        `json:"BlockInput"`
	BlockOutput uint64        `json:"BlockOutput"`
	PIDs        uint64        `json:"PIDs"`
	AvgCPU      float64       `json:"AvgCPU"` // percent of one CPU since the container started
	UpTime      time.Duration `json:"UpTime"`
	at          time.Time
}

// Stats samples the container; prev (may be nil) is the previous sample, for CPU %.
// Root containers are read from their cgroup; rootless ones on cgroup v1 have none,
// so their processes are summed from /proc instead.
func (c *Container) Stats(prev *Stats) (*Stats, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	if !st.Running() || st.Pid == 0 {
		return nil, fmt.Errorf("stats: %s is not running: %w", c.Name, ErrCtrStateInvalid)
	}
	s := &Stats{ContainerID: c.ID, Name: c.Name, at: time.Now(), MemLimit: hostMemory()}
	if lc, err := c.libcontainer(); err == nil && !c.r.rootless {
		if cs, err := lc.Stats(); err == nil && cs.CgroupStats != nil {
			cg := cs.CgroupStats
			s.CPUNano = cg.CpuStats.CpuUsage.TotalUsage
			s.MemUsage = cg.MemoryStats.Usage.Usage - cg.MemoryStats.Cache
			if l := cg.MemoryStats.Usage.Limit; l > 0 && l < s.MemLimit {
				s.MemLimit = l
			}
			s.PIDs = cg.PidsStats.Current
			for _, e := range cg.BlkioStats.IoServiceBytesRecursive {
				switch strings.ToLower(e.Op) {
				case "read":
					s.BlockInput += e.Value
				case "write":
					s.BlockOutput += e.Value
				}
			}
		}
	}
	if s.PIDs == 0 {
		c.procStats(s)
	}
	// Without a readable cgroup (rootless) the configured limit is still the limit.
	if m := c.Config.Resources.Memory; m > 0 && uint64(m) < s.MemLimit {
		s.MemLimit = uint64(m)
	}
	s.NetInput, s.NetOutput = netDev(st.Pid)
	if s.MemLimit > 0 {
		s.MemPerc = 100 * float64(s.MemUsage) / float64(s.MemLimit)
	}
	if !st.StartedAt.IsZero() && s.at.After(st.StartedAt) {
		s.UpTime = s.at.Sub(st.StartedAt)
		s.AvgCPU = 100 * float64(s.CPUNano) / float64(s.UpTime.Nanoseconds())
	}
	if prev != nil && s.at.After(prev.at) && s.CPUNano >= prev.CPUNano {
		s.CPU = 100 * float64(s.CPUNano-prev.CPUNano) / float64(s.at.Sub(prev.at).Nanoseconds())
	}
	return s, nil
}

// procStats sums CPU time and resident memory of the processes in the container.
func (c *Container) procStats(s *Stats) {
	procs, _, err := c.procs()
	if err != nil {
		return
	}
	for _, p := range procs {
		s.PIDs++
		s.CPUNano += uint64(p.cpu.Nanoseconds())
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", p.hostPID))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			s.MemUsage += pages * uint64(os.Getpagesize())
		}
	}
}

// netDev sums the byte counters of the interfaces in pid's network namespace.
func netDev(pid int) (rx, tx uint64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) > 8 {
			r, _ := strconv.ParseUint(fs[0], 10, 64)
			t, _ := strconv.ParseUint(fs[8], 10, 64)
			rx, tx = rx+r, tx+t
		}
	}
	return rx, tx
}

func hostMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			if f := strings.Fields(line); len(f) > 1 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
