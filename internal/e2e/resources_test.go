package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Resource limits (issue #4): cgroup limits seen from inside the container, on the
// host's cgroup fs, in inspect and stats; rlimits; /dev/shm; OOM kills; bad input.

// cgroupV2 tells whether the host runs the unified cgroup hierarchy.
func cgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// hostResources is the part of inspect's HostConfig the tests check.
type hostResources struct {
	Memory            int64
	MemorySwap        int64
	MemoryReservation int64
	NanoCpus          int64
	CpuShares         uint64
	CpuQuota          int64
	CpusetCpus        string
	PidsLimit         int64
	OomKillDisable    bool
	ShmSize           int64
	Ulimits           []struct {
		Name       string
		Soft, Hard uint64
	}
}

func inspectHost(t *testing.T, e *testutil.Engine, name string, v any) {
	t.Helper()
	out := e.Must(t, "inspect", "--format", "{{json .HostConfig}}", name)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("[%s] inspect HostConfig of %s: %v\n%s", e.Mode(), name, err, out)
	}
}

func TestResourceLimits(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		args := []string{"--name", "lim", "-m", "32m", "--memory-reservation", "16m", "--cpus", "0.5",
			"--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50", "--oom-kill-disable"}
		if e.Rootless() && !cgroupV2() {
			res := e.Run(append(append([]string{"run", "-d"}, args...), img, "sleep", "60")...)
			wantError(t, e, res, 125, false, "rootless containers cannot set resource limits on cgroup v1")
			noContainers(t, e, "a refused limit")
			return
		}
		if e.Rootless() {
			t.Skip("rootless cgroup v2 limits need a delegated cgroup; not checked here")
		}
		id := runDetached(t, e, append(args, img, "sleep", "60")...)
		files := map[string]string{
			"memory/memory.limit_in_bytes":       "33554432",
			"memory/memory.memsw.limit_in_bytes": "67108864",
			"memory/memory.soft_limit_in_bytes":  "16777216",
			"cpu/cpu.cfs_quota_us":               "50000",
			"cpu/cpu.cfs_period_us":              "100000",
			"cpu/cpu.shares":                     "512",
			"cpuset/cpuset.cpus":                 "0",
			"pids/pids.max":                      "50",
		}
		for f, want := range files {
			inside := strings.TrimSpace(e.Must(t, "exec", "lim", "cat", "/sys/fs/cgroup/"+f))
			if inside != want {
				t.Errorf("[%s] %s inside the container: %q, want %q", e.Mode(), f, inside, want)
			}
			sub, file, _ := strings.Cut(f, "/")
			host, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", sub, "engine", id, file))
			if err != nil || strings.TrimSpace(string(host)) != want {
				t.Errorf("[%s] host cgroup %s of the container: %q, %v; want %q", e.Mode(), f, host, err, want)
			}
		}
		if oc := e.Must(t, "exec", "lim", "cat", "/sys/fs/cgroup/memory/memory.oom_control"); !strings.Contains(oc, "oom_kill_disable 1") {
			t.Errorf("[%s] memory.oom_control: %q, want oom_kill_disable 1", e.Mode(), oc)
		}
		var h hostResources
		inspectHost(t, e, "lim", &h)
		if h.Memory != 32<<20 || h.MemorySwap != 64<<20 || h.MemoryReservation != 16<<20 || h.NanoCpus != 5e8 ||
			h.CpuShares != 512 || h.CpuQuota != 50000 || h.CpusetCpus != "0" || h.PidsLimit != 50 || !h.OomKillDisable {
			t.Errorf("[%s] inspect HostConfig: %+v", e.Mode(), h)
		}
		// (stats --format json is podman's strings; the template has the number.)
		if out := e.Must(t, "stats", "--no-stream", "--format", "{{.MemLimit}}", "lim"); out != "33554432" {
			t.Errorf("[%s] stats --format {{.MemLimit}}: %q, want 32 MiB (33554432)", e.Mode(), out)
		}
		e.Must(t, "rm", "-f", "lim")

		// --cpu-period/--cpu-quota, --memory-swappiness, block I/O throttles.
		args = []string{"--cpu-period", "50000", "--cpu-quota", "25000", "--memory-swappiness", "10"}
		want := "50000\n25000\n10\n"
		if dev, majmin := blockDevice(); dev != "" {
			args = append(args, "--device-read-bps", dev+":1mb", "--device-write-iops", dev+":100")
			want += majmin + " 1048576\n" + majmin + " 100\n"
		}
		wantOut(t, e, e.Run(append(append([]string{"run", "--rm"}, args...), img, "sh", "-c",
			"cd /sys/fs/cgroup; cat cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us memory/memory.swappiness; "+
				"grep -h . blkio/blkio.throttle.read_bps_device blkio/blkio.throttle.write_iops_device; true")...), want)
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory/engine", id)); !os.IsNotExist(err) {
			t.Errorf("[%s] the container's memory cgroup is left after rm: %v", e.Mode(), err)
		}
	})
}

// blockDevice finds a block device node directly in /dev and its "MAJ:MIN".
func blockDevice() (string, string) {
	ents, err := os.ReadDir("/dev")
	if err != nil {
		return "", ""
	}
	for _, ent := range ents {
		if ent.Type()&os.ModeDevice == 0 || ent.Type()&os.ModeCharDevice != 0 {
			continue
		}
		p := filepath.Join("/dev", ent.Name())
		b, err := os.ReadFile(filepath.Join("/sys/class/block", ent.Name(), "dev"))
		if err == nil {
			return p, strings.TrimSpace(string(b))
		}
	}
	return "", ""
}

func TestResourceDefaults(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		var h hostResources
		e.Must(t, "create", "--name", "def", img, "true")
		inspectHost(t, e, "def", &h)
		wantPids := int64(2048) // podman's default, as root
		if e.Rootless() {
			wantPids = 0
		}
		if h.PidsLimit != wantPids || h.ShmSize != 64<<20 || h.Memory != 0 || len(h.Ulimits) == 0 || h.Ulimits[0].Name != "RLIMIT_NOFILE" {
			t.Errorf("[%s] inspect defaults: %+v, want PidsLimit %d, ShmSize 64 MiB, no memory limit, RLIMIT_NOFILE", e.Mode(), h, wantPids)
		}
		if wantPids > 0 {
			wantOut(t, e, e.Run("run", "--rm", img, "cat", "/sys/fs/cgroup/pids/pids.max"), "2048\n")
			wantOut(t, e, e.Run("run", "--rm", "--pids-limit", "-1", img, "cat", "/sys/fs/cgroup/pids/pids.max"), "max\n")
		}
		// /dev/shm: 64 MiB by default, --shm-size otherwise (a tmpfs: no cgroup needed).
		wantOut(t, e, e.Run("run", "--rm", img, "sh", "-c", "df -k /dev/shm | tail -1 | awk '{print $2}'"), "65536\n")
		wantOut(t, e, e.Run("run", "--rm", "--shm-size", "10m", img, "sh", "-c", "df -k /dev/shm | tail -1 | awk '{print $2}'"), "10240\n")
	})
}

func TestResourceUlimits(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		// Above the current hard limit: refused before anything is created.
		res := e.Run("run", "--rm", "--ulimit", "nofile=30000000:30000000", img, "true")
		wantError(t, e, res, 125, false, "above the current hard limit")
		noContainers(t, e, "a refused ulimit")

		e.Must(t, "create", "--name", "ul", "--ulimit", "nofile=1000:2000", "--ulimit", "nproc=300:400", img, "true")
		var h hostResources
		inspectHost(t, e, "ul", &h)
		got, _ := json.Marshal(h.Ulimits)
		if string(got) != `[{"Name":"RLIMIT_NOFILE","Soft":1000,"Hard":2000},{"Name":"RLIMIT_NPROC","Soft":300,"Hard":400}]` {
			t.Errorf("[%s] inspect Ulimits: %s", e.Mode(), got)
		}
		wantOut(t, e, e.Run("run", "--rm", "--ulimit", "nofile=1000:2000", "--ulimit", "nproc=300:400", img,
			"sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"), "1000\n2000\n300\n")
	})
}

func TestResourceOOMKill(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		if e.Rootless() && !cgroupV2() {
			t.Skip("rootless on cgroup v1: no memory cgroup to be OOM-killed in")
		}
		img := ctrSetup(t, e)
		// The shell doubles a string until the 10 MiB limit (no swap) kills it.
		res := e.Run("run", "--name", "oom", "-m", "10m", "--memory-swap", "10m", img,
			"sh", "-c", "x=0123456789abcdef; while true; do x=$x$x; done")
		if res.Code != 137 {
			t.Fatalf("[%s] %s: exit %d, want 137 (killed)\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		waitStatus(t, e, "oom", "exited", 10*time.Second)
		if got := strings.TrimSpace(e.Must(t, "inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom")); got != "true 137" {
			t.Errorf("[%s] inspect oom: OOMKilled ExitCode = %q, want true 137", e.Mode(), got)
		}
		// A normal exit afterwards is not an OOM kill.
		e.Must(t, "run", "--name", "fine", "-m", "10m", img, "true")
		if got := strings.TrimSpace(e.Must(t, "inspect", "--format", "{{.State.OOMKilled}}", "fine")); got != "false" {
			t.Errorf("[%s] inspect fine: OOMKilled = %q, want false", e.Mode(), got)
		}
	})
}

func TestResourceBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"-m", "5m"}, "minimum memory limit allowed is 6MB"},
			{[]string{"-m", "lots"}, "invalid value for memory"},
			{[]string{"--memory-swap", "10m"}, "always set a memory limit"},
			{[]string{"-m", "10m", "--memory-swap", "5m"}, "larger than memory limit"},
			{[]string{"-m", "10m", "--memory-reservation", "20m"}, "memory reservation"},
			{[]string{"--cpus", "two"}, "--cpus"},
			{[]string{"--cpus", "-1"}, "must not be negative"},
			{[]string{"--cpu-shares", "1"}, "minimum allowed cpu-shares is 2"},
			{[]string{"--cpuset-cpus", "0-x"}, "invalid value 0-x for cpuset cpus"},
			{[]string{"--cpuset-cpus", "4096"}, "requested CPUs are not available"},
			{[]string{"--blkio-weight", "5"}, "range of blkio weight"},
			{[]string{"--ulimit", "foo=1"}, "invalid ulimit type: foo"},
			{[]string{"--ulimit", "nofile=10:5"}, "soft limit must be less"},
			{[]string{"--shm-size", "-1"}, "--shm-size"},
		}
		for _, tc := range cases {
			if e.Rootless() && !cgroupV2() && tc.args[0] == "--cpuset-cpus" && tc.args[1] == "4096" {
				continue // refused as a rootless cgroup v1 limit first
			}
			for _, cmd := range []string{"create", "run"} {
				res := e.Run(append(append([]string{cmd, "--rm"}, tc.args...), img, "true")...)
				wantError(t, e, res, 125, false, tc.want)
			}
		}
		noContainers(t, e, "bad resource options")
	})
}
