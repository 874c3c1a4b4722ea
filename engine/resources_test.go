package engine

import (
	"errors"
	"math"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestResourceOptionsParse(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		in   ResourceOptions
		want ResourceConfig
		err  string // substring of the error; "" for success
	}{
		{name: "empty", in: ResourceOptions{}},
		{name: "memory doubles swap", in: ResourceOptions{Memory: "10m"}, want: ResourceConfig{Memory: 10 << 20, MemorySwap: 20 << 20}},
		{name: "unlimited swap", in: ResourceOptions{Memory: "1g", MemorySwap: "-1"}, want: ResourceConfig{Memory: 1 << 30, MemorySwap: -1}},
		{name: "explicit swap", in: ResourceOptions{Memory: "8m", MemorySwap: "16m", MemoryReservation: "7m"}, want: ResourceConfig{Memory: 8 << 20, MemorySwap: 16 << 20, MemoryReservation: 7 << 20}},
		{name: "minimum memory", in: ResourceOptions{Memory: "6m"}, want: ResourceConfig{Memory: 6 << 20, MemorySwap: 12 << 20}},
		{name: "memory below minimum", in: ResourceOptions{Memory: "5m"}, err: "minimum memory limit allowed is 6MB"},
		{name: "memory malformed", in: ResourceOptions{Memory: "foo"}, err: "invalid value for memory"},
		{name: "memory negative", in: ResourceOptions{Memory: "-10m"}, err: "invalid value for memory"},
		{name: "swap without memory", in: ResourceOptions{MemorySwap: "10m"}, err: "always set a memory limit"},
		{name: "swap below memory", in: ResourceOptions{Memory: "10m", MemorySwap: "8m"}, err: "larger than memory limit"},
		{name: "reservation above memory", in: ResourceOptions{Memory: "10m", MemoryReservation: "20m"}, err: "memory reservation"},
		{name: "cpus", in: ResourceOptions{CPUs: "1.5"}, want: ResourceConfig{NanoCPUs: 1500000000}},
		{name: "cpus zero", in: ResourceOptions{CPUs: "0"}},
		{name: "cpus malformed", in: ResourceOptions{CPUs: "two"}, err: "--cpus"},
		{name: "cpus negative", in: ResourceOptions{CPUs: "-1"}, err: "must not be negative"},
		{name: "cpus too small", in: ResourceOptions{CPUs: "0.001"}, err: "minimum is 0.01"},
		{name: "cpus NaN", in: ResourceOptions{CPUs: "NaN"}, err: "--cpus"},
		{name: "shares", in: ResourceOptions{CPUShares: 512}, want: ResourceConfig{CPUShares: 512}},
		{name: "shares too small", in: ResourceOptions{CPUShares: 1}, err: "minimum allowed cpu-shares is 2"},
		{name: "shares too big", in: ResourceOptions{CPUShares: 262145}, err: "maximum allowed cpu-shares"},
		{name: "cpuset", in: ResourceOptions{CPUSetCPUs: "0-1,3", CPUSetMems: "0"}, want: ResourceConfig{CPUSetCPUs: "0-1,3", CPUSetMems: "0"}},
		{name: "cpuset malformed", in: ResourceOptions{CPUSetCPUs: "0-x"}, err: "invalid value 0-x for cpuset cpus"},
		{name: "cpuset reversed", in: ResourceOptions{CPUSetCPUs: "3-1"}, err: "for cpuset cpus"},
		{name: "mems malformed", in: ResourceOptions{CPUSetMems: "a"}, err: "for cpuset mems"},
		{name: "pids", in: ResourceOptions{PidsLimit: n(100)}, want: ResourceConfig{PidsLimit: 100}},
		{name: "pids unlimited", in: ResourceOptions{PidsLimit: n(-1)}},
		{name: "blkio", in: ResourceOptions{BlkioWeight: 500}, want: ResourceConfig{BlkioWeight: 500}},
		{name: "blkio too small", in: ResourceOptions{BlkioWeight: 9}, err: "range of blkio weight"},
		{name: "ulimit", in: ResourceOptions{Ulimits: []string{"nofile=100:200", "nproc=10"}},
			want: ResourceConfig{Ulimits: []Ulimit{{"nofile", 100, 200}, {"nproc", 10, 10}}}},
		{name: "ulimit later wins", in: ResourceOptions{Ulimits: []string{"nofile=100:200", "nofile=5:6"}},
			want: ResourceConfig{Ulimits: []Ulimit{{"nofile", 5, 6}}}},
		{name: "ulimit unlimited", in: ResourceOptions{Ulimits: []string{"core=-1"}},
			want: ResourceConfig{Ulimits: []Ulimit{{"core", math.MaxUint64, math.MaxUint64}}}},
		{name: "ulimit unknown", in: ResourceOptions{Ulimits: []string{"foo=1"}}, err: "invalid ulimit type: foo"},
		{name: "ulimit soft above hard", in: ResourceOptions{Ulimits: []string{"nofile=10:5"}}, err: "soft limit must be less"},
		{name: "ulimit malformed", in: ResourceOptions{Ulimits: []string{"nofile"}}, err: "requires name=SOFT:HARD"},
		{name: "oom", in: ResourceOptions{OOMKillDisable: true}, want: ResourceConfig{OOMKillDisable: true}},
		{name: "shm", in: ResourceOptions{ShmSize: "1g"}, want: ResourceConfig{ShmSize: 1 << 30}},
		{name: "shm malformed", in: ResourceOptions{ShmSize: "-1"}, err: "unable to translate --shm-size"},
		{name: "period and quota", in: ResourceOptions{CPUPeriod: 50000, CPUQuota: 25000, MemorySwappiness: n(10)},
			want: ResourceConfig{CPUPeriod: 50000, CPUQuota: 25000, MemorySwappiness: n(10)}},
		{name: "swappiness default", in: ResourceOptions{MemorySwappiness: n(-1)}},
		{name: "cpus with period", in: ResourceOptions{CPUs: "1", CPUPeriod: 50000}, err: "--cpus cannot be set with --cpu-period"},
		{name: "period too small", in: ResourceOptions{CPUPeriod: 999}, err: "CPU cfs period"},
		{name: "quota too small", in: ResourceOptions{CPUQuota: 999}, err: "CPU cfs quota"},
		{name: "swappiness too big", in: ResourceOptions{MemorySwappiness: n(101)}, err: "valid memory swappiness range is 0-100"},
		{name: "throttle", in: ResourceOptions{Throttle: map[string][]string{"read-bps": {"/dev/sda:1mb"}, "write-iops": {"/dev/sda:100"}}},
			want: ResourceConfig{Throttle: map[string][]ThrottleDevice{"read-bps": {{Path: "/dev/sda", Rate: 1 << 20}}, "write-iops": {{Path: "/dev/sda", Rate: 100}}}}},
		{name: "throttle no rate", in: ResourceOptions{Throttle: map[string][]string{"read-bps": {"/dev/sda"}}}, err: "want /dev/PATH:RATE"},
		{name: "throttle bad iops", in: ResourceOptions{Throttle: map[string][]string{"write-iops": {"/dev/sda:1mb"}}}, err: "bad rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Parse()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidArg) {
					t.Fatalf("Parse(%+v) error = %v, want one containing %q wrapping ErrInvalidArg", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%+v): %v", tt.in, err)
			}
			if !equalJSON(t, got, tt.want) {
				t.Errorf("Parse(%+v)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSpecResources(t *testing.T) {
	rc := ResourceConfig{Memory: 10 << 20, MemorySwap: -1, NanoCPUs: 500000000, CPUShares: 100, PidsLimit: 7,
		Ulimits: []Ulimit{{"nofile", 10, 20}, {"nproc", 1, 2}}, ShmSize: 1 << 20}
	c := &Container{Config: &Config{Resources: rc}, r: &Runtime{}}
	spec := &specs.Spec{
		Process: &specs.Process{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 99, Hard: 99}}},
		Mounts: []specs.Mount{
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "size=65536k"}},
			// a user's --tmpfs /dev/shm:size=1k (replacing the default) keeps its size
			{Destination: "/dev/shm", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1k"}},
		},
		Linux: &specs.Linux{},
	}
	if err := c.specResources(spec); err != nil {
		t.Fatal(err)
	}
	wantRl := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}, {Type: "RLIMIT_NPROC", Soft: 1, Hard: 2}}
	if !equalJSON(t, spec.Process.Rlimits, wantRl) {
		t.Errorf("rlimits = %+v, want %+v", spec.Process.Rlimits, wantRl)
	}
	if got := strings.Join(spec.Mounts[0].Options, ","); got != "nosuid,size=1048576" {
		t.Errorf("/dev/shm options = %s, want nosuid,size=1048576", got)
	}
	if got := strings.Join(spec.Mounts[1].Options, ","); got != "size=1k" {
		t.Errorf("user /dev/shm tmpfs options = %s, want size=1k", got)
	}
	res := spec.Linux.Resources
	if res == nil || res.Memory == nil || *res.Memory.Limit != 10<<20 || *res.Memory.Swap != -1 {
		t.Fatalf("memory = %+v, want limit 10 MiB, swap -1", res)
	}
	if *res.CPU.Quota != 50000 || *res.CPU.Period != 100000 || *res.CPU.Shares != 100 {
		t.Errorf("cpu = quota %d period %d shares %d, want 50000 100000 100", *res.CPU.Quota, *res.CPU.Period, *res.CPU.Shares)
	}
	if *res.Pids.Limit != 7 {
		t.Errorf("pids = %d, want 7", *res.Pids.Limit)
	}
	got, err := processRlimits(spec.Process.Rlimits)
	if err != nil || len(got) != 2 || got[0].Type != 7 || got[0].Soft != 10 || got[1].Type != 6 {
		t.Errorf("processRlimits = %+v, %v; want NOFILE(7) 10 and NPROC(6)", got, err)
	}
}

func TestCheckCpusetAvailable(t *testing.T) {
	if err := checkCpusetAvailable("CPUs", "0-1", "0-3"); err != nil {
		t.Errorf("0-1 of 0-3: %v", err)
	}
	err := checkCpusetAvailable("CPUs", "7", "0-1")
	if err == nil || !strings.Contains(err.Error(), "requested CPUs are not available - requested 7, available: 0-1") {
		t.Errorf("7 of 0-1: error %v", err)
	}
}

func TestMissingControllers(t *testing.T) {
	rc := &ResourceConfig{Memory: 8 << 20, NanoCPUs: 1e9, PidsLimit: 10}
	if got := missingControllers("cpu memory pids", rc); len(got) != 0 {
		t.Errorf("all delegated: missing %v, want none", got)
	}
	if got := strings.Join(missingControllers("cpu io", rc), ","); got != "memory,pids" {
		t.Errorf("cpu io delegated: missing %q, want memory,pids", got)
	}
	if got := missingControllers("", &ResourceConfig{}); len(got) != 0 {
		t.Errorf("no limits: missing %v, want none", got)
	}
}
