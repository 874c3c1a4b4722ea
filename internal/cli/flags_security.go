package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// resourceFlags are create/run's cgroup and rlimit flags (podman's names).
func resourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit (e.g. 512m, 1g; at least 6m)"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit; -1 for unlimited swap (default: twice --memory)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "cpus", Usage: "number of CPUs (e.g. 1.5)"},
		&cli.Uint64Flag{Name: "cpu-period", Usage: "CFS period in microseconds"},
		&cli.Int64Flag{Name: "cpu-quota", Usage: "CFS quota in microseconds per period"},
		&cli.Int64Flag{Name: "memory-swappiness", Value: -1, Usage: "0 to 100 (cgroup v1)"},
		&cli.StringSliceFlag{Name: "device-read-bps", Usage: "read rate limit: /dev/PATH:RATE (e.g. 1mb)"},
		&cli.StringSliceFlag{Name: "device-write-bps", Usage: "write rate limit: /dev/PATH:RATE (e.g. 1mb)"},
		&cli.StringSliceFlag{Name: "device-read-iops", Usage: "read operations per second: /dev/PATH:N"},
		&cli.StringSliceFlag{Name: "device-write-iops", Usage: "write operations per second: /dev/PATH:N"},
		&cli.Uint64Flag{Name: "cpu-shares", Aliases: []string{"c"}, Usage: "CPU shares (relative weight, 2 to 262144)"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs the container may use (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes the container may use (0-3, 0,1)"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "process limit; 0 or -1 for none", DefaultText: "2048 as root"},
		&cli.UintFlag{Name: "blkio-weight", Usage: "block I/O weight, 10 to 1000"},
		&cli.StringSliceFlag{Name: "ulimit", Usage: "rlimit as name=soft[:hard] (nofile=1024:2048)"},
		&cli.BoolFlag{Name: "oom-kill-disable", Usage: "disable the OOM killer (cgroup v1)"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm (default 64m)"},
	}
}

func resourceOptions(c *cli.Context) (engine.ResourceOptions, error) {
	o := engine.ResourceOptions{
		Memory: c.String("memory"), MemorySwap: c.String("memory-swap"), MemoryReservation: c.String("memory-reservation"),
		CPUs: c.String("cpus"), CPUShares: c.Uint64("cpu-shares"), CPUSetCPUs: c.String("cpuset-cpus"),
		CPUSetMems: c.String("cpuset-mems"), Ulimits: c.StringSlice("ulimit"), OOMKillDisable: c.Bool("oom-kill-disable"),
		ShmSize: c.String("shm-size"), CPUPeriod: c.Uint64("cpu-period"), CPUQuota: c.Int64("cpu-quota"),
	}
	if c.IsSet("memory-swappiness") {
		n := c.Int64("memory-swappiness")
		o.MemorySwappiness = &n
	}
	for _, k := range []string{"read-bps", "write-bps", "read-iops", "write-iops"} {
		if v := c.StringSlice("device-" + k); len(v) > 0 {
			if o.Throttle == nil {
				o.Throttle = map[string][]string{}
			}
			o.Throttle[k] = v
		}
	}
	if c.IsSet("pids-limit") {
		n := c.Int64("pids-limit")
		o.PidsLimit = &n
	}
	w := c.Uint("blkio-weight")
	if w > 1000 {
		return o, fmt.Errorf("range of blkio weight is from 10 to 1000: %w", engine.ErrInvalidArg)
	}
	o.BlkioWeight = uint16(w)
	// Checked before anything is pulled or created.
	_, err := o.Parse()
	return o, err
}

// securityFlags are create/run's isolation flags (podman's names).
func securityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "privileged", Usage: "all capabilities, host devices, no seccomp or masked paths"},
		&cli.StringSliceFlag{Name: "cap-add", Usage: "add capabilities (NAME, CAP_NAME or ALL)"},
		&cli.StringSliceFlag{Name: "cap-drop", Usage: "drop capabilities (NAME, CAP_NAME or ALL)"},
		&cli.StringSliceFlag{Name: "security-opt", Usage: "no-new-privileges, seccomp=unconfined|PROFILE.json, mask=PATHS, unmask=ALL|PATHS"},
		&cli.StringSliceFlag{Name: "device", Usage: "host device: /dev/x[:/dev/y][:rwm]"},
		&cli.StringFlag{Name: "pid", Usage: "PID namespace: private, host or container:NAME"},
		&cli.StringFlag{Name: "ipc", Usage: "IPC namespace: private, shareable, host or container:NAME"},
		&cli.StringFlag{Name: "uts", Usage: "UTS namespace: private, host or container:NAME"},
		&cli.StringFlag{Name: "userns", Usage: "user namespace: host, keep-id[:uid=,gid=] (rootless) or auto[:size=]"},
		&cli.StringSliceFlag{Name: "group-add", Usage: "additional groups (name or number)"},
		&cli.StringSliceFlag{Name: "sysctl", Usage: "namespaced sysctl: KEY=VALUE"},
	}
}

func securityOptions(c *cli.Context) (engine.SecurityOptions, error) {
	o := engine.SecurityOptions{
		Privileged: c.Bool("privileged"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
		SecurityOpts: c.StringSlice("security-opt"), Devices: c.StringSlice("device"), PID: c.String("pid"),
		IPC: c.String("ipc"), UTS: c.String("uts"), UserNS: c.String("userns"), GroupAdd: c.StringSlice("group-add"),
		Sysctls: c.StringSlice("sysctl"),
	}
	// Checked before anything is pulled or created.
	_, err := o.Parse()
	return o, err
}
