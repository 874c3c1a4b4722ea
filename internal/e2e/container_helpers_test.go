package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Helpers of the container tests (container_*_test.go).

// monitorComm is the name the per-container monitor gives itself (internal/early).
const monitorComm = "engine-monitor"

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ctrSetup pulls a busybox image into e, registers the per-test leak check (run before
// the engine's own cleanup) and returns the image's name.
func ctrSetup(t *testing.T, e *testutil.Engine) string {
	t.Helper()
	img := busybox(t, testutil.ImageOptions{})
	name := pull(t, e, img)
	t.Cleanup(func() { leakCheck(t, e) })
	return name
}

// leakCheck removes every container the test left with `rm -a -f`, then checks that
// none of their processes, no monitor of this test and no mount under the store
// (in the host's mount table and, rootless, in the pause process's) remain.
func leakCheck(t *testing.T, e *testutil.Engine) {
	t.Helper()
	var pids []int
	if res := e.Run("ps", "-a", "--format", "json"); res.Code == 0 {
		var list []psEntry
		if json.Unmarshal([]byte(res.Stdout), &list) == nil {
			for _, c := range list {
				if c.Pid > 0 {
					pids = append(pids, c.Pid)
				}
			}
		}
	}
	if res := e.Run("rm", "-a", "-f"); res.Code != 0 {
		t.Errorf("[%s] cleanup: %s", e.Mode(), res)
	}
	if res := e.Run("ps", "-a", "-q"); res.Code != 0 || strings.TrimSpace(res.Stdout) != "" {
		t.Errorf("[%s] cleanup: containers left after rm -a -f: %s", e.Mode(), res)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mons := monitorsOf(e)
		var alivePids []int
		for _, p := range pids {
			if pidAlive(p) {
				alivePids = append(alivePids, p)
			}
		}
		if len(mons)+len(alivePids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			if len(mons) > 0 {
				t.Errorf("[%s] monitor processes left after rm -a -f: %v", e.Mode(), mons)
			}
			if len(alivePids) > 0 {
				t.Errorf("[%s] container processes left after rm -a -f: %v", e.Mode(), describePids(alivePids))
			}
			for _, p := range append(mons, alivePids...) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m := storeMounts(t, e); len(m) > 0 {
		t.Errorf("[%s] mounts left under the store after rm -a -f:\n  %s", e.Mode(), strings.Join(m, "\n  "))
	}
}

// storeMounts lists mounts under e's root and runroot, in the host's mount table and,
// rootless, in the mount namespace of the user's pause process.
func storeMounts(t *testing.T, e *testutil.Engine) []string {
	t.Helper()
	m, err := testutil.MountsUnder(e.Root, e.RunRoot)
	if err != nil {
		t.Errorf("reading mount table: %v", err)
	}
	if pid := pausePid(e); pid > 0 {
		ns, err := testutil.MountsIn(fmt.Sprintf("/proc/%d/mountinfo", pid), e.Root, e.RunRoot)
		if err == nil {
			for _, x := range ns {
				m = append(m, x+" (in the pause process's mount namespace)")
			}
		}
	}
	return m
}

// pausePid is the rootless pause process of e, or 0.
func pausePid(e *testutil.Engine) int {
	if !e.Rootless() {
		return 0
	}
	data, err := os.ReadFile(filepath.Join(e.RuntimeDir, "engine", "pause.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 || !pidAlive(pid) {
		return 0
	}
	return pid
}

// monitorsOf lists the live monitor processes whose working directory (the
// container's run directory) is under e's per-test directory.
func monitorsOf(e *testutil.Engine) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != monitorComm {
			continue
		}
		cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		if err != nil || !strings.HasPrefix(cwd, e.Base+"/") || !pidAlive(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// pidAlive tells whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func describePids(pids []int) []string {
	var out []string
	for _, p := range pids {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		out = append(out, fmt.Sprintf("%d %s", p, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))))
	}
	return out
}

// waitGone waits up to d for pid to exit; it tells whether it did.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for pidAlive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// psEntry is the part of `ps --format json` the tests check (podman's names).
type psEntry struct {
	ID       string            `json:"Id"`
	Names    []string          `json:"Names"`
	Image    string            `json:"Image"`
	State    string            `json:"State"`
	Status   string            `json:"Status"`
	ExitCode int               `json:"ExitCode"`
	Exited   bool              `json:"Exited"`
	Pid      int               `json:"Pid"`
	Labels   map[string]string `json:"Labels"`
	Command  []string          `json:"Command"`
}

// psJSON runs `ps --format json` with args and parses it.
func psJSON(t *testing.T, e *testutil.Engine, args ...string) []psEntry {
	t.Helper()
	out := e.Must(t, append([]string{"ps", "--format", "json"}, args...)...)
	var list []psEntry
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("[%s] ps --format json %v: %v\noutput: %s", e.Mode(), args, err, out)
	}
	return list
}

// psNames returns the sorted names `ps --format {{.Names}}` prints with args.
func psNames(t *testing.T, e *testutil.Engine, args ...string) []string {
	t.Helper()
	return sortedLines(e.Must(t, append([]string{"ps", "--format", "{{.Names}}"}, args...)...))
}

// ctrInspect is the part of a container's `inspect` the tests check.
type ctrInspect struct {
	ID    string   `json:"Id"`
	Name  string   `json:"Name"`
	Path  string   `json:"Path"`
	Args  []string `json:"Args"`
	State struct {
		Status     string    `json:"Status"`
		Running    bool      `json:"Running"`
		Paused     bool      `json:"Paused"`
		Pid        int       `json:"Pid"`
		ConmonPid  int       `json:"ConmonPid"`
		ExitCode   int       `json:"ExitCode"`
		StartedAt  time.Time `json:"StartedAt"`
		FinishedAt time.Time `json:"FinishedAt"`
	} `json:"State"`
	Config struct {
		Hostname    string            `json:"Hostname"`
		User        string            `json:"User"`
		Env         []string          `json:"Env"`
		Cmd         []string          `json:"Cmd"`
		Entrypoint  json.RawMessage   `json:"Entrypoint"`
		WorkingDir  string            `json:"WorkingDir"`
		Labels      map[string]string `json:"Labels"`
		StopSignal  json.RawMessage   `json:"StopSignal"`
		StopTimeout uint              `json:"StopTimeout"`
	} `json:"Config"`
}

// inspectCtr runs `inspect NAME` and parses its one-element array.
func inspectCtr(t *testing.T, e *testutil.Engine, name string) ctrInspect {
	t.Helper()
	out := e.Must(t, "inspect", name)
	var list []ctrInspect
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("[%s] inspect %s: %v\noutput: %s", e.Mode(), name, err, out)
	}
	if len(list) != 1 {
		t.Fatalf("[%s] inspect %s: %d entries, want 1", e.Mode(), name, len(list))
	}
	return list[0]
}

// runDetached runs `run -d ARGS...`, checks that it prints one 64-hex id, and
// returns it.
func runDetached(t *testing.T, e *testutil.Engine, args ...string) string {
	t.Helper()
	res := e.Run(append([]string{"run", "-d"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("[%s] %s", e.Mode(), res)
	}
	id := strings.TrimSpace(res.Stdout)
	if !hex64.MatchString(id) {
		t.Fatalf("[%s] %s: stdout %q, want one 64-hex container id", e.Mode(), res.Cmd, res.Stdout)
	}
	return id
}

// eventually polls cond every 50ms for up to d; it tells whether cond held.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStatus waits up to d for the container's State.Status to be want; it fails
// the test otherwise.
func waitStatus(t *testing.T, e *testutil.Engine, name, want string, d time.Duration) {
	t.Helper()
	var last string
	if !eventually(d, func() bool {
		res := e.Run("inspect", "--format", "{{.State.Status}}", name)
		last = strings.TrimSpace(res.Stdout) + strings.TrimSpace(res.Stderr)
		return res.Code == 0 && strings.TrimSpace(res.Stdout) == want
	}) {
		t.Fatalf("[%s] container %s: State.Status %q after %v, want %q", e.Mode(), name, last, d, want)
	}
}

// waitLog waits up to d for the container's logs to contain s.
func waitLog(t *testing.T, e *testutil.Engine, name, s string, d time.Duration) {
	t.Helper()
	var last testutil.Result
	if !eventually(d, func() bool {
		last = e.Run("logs", name)
		return strings.Contains(last.Stdout, s)
	}) {
		t.Fatalf("[%s] logs of %s never showed %q within %v: %s", e.Mode(), name, s, d, last)
	}
}

// command builds an engine invocation like e.Run does (same user, environment,
// working directory and store flags), for tests that must start, read from or kill
// the CLI while it runs. ctx ends it (SIGKILL to its process group).
func command(ctx context.Context, e *testutil.Engine, args ...string) *exec.Cmd {
	full := append([]string{"--root", e.Root, "--runroot", e.RunRoot}, args...)
	cmd := exec.CommandContext(ctx, e.Bin, full...)
	cmd.Env = e.Env
	cmd.Dir = e.Home
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if e.User != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: e.User.UID, Gid: e.User.GID, Groups: e.User.Groups}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// userFile writes a file in the test's HOME that the engine's user owns.
func userFile(t *testing.T, e *testutil.Engine, name, data string) string {
	t.Helper()
	path := filepath.Join(e.Home, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.User != nil {
		if err := os.Chown(path, int(e.User.UID), int(e.User.GID)); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// wantOut checks that res exited 0 with exactly stdout want.
func wantOut(t *testing.T, e *testutil.Engine, res testutil.Result, want string) {
	t.Helper()
	if res.Code != 0 || res.Stdout != want {
		t.Errorf("[%s] %s: want exit 0 and stdout %q\ngot: exit %d, stdout %q, stderr %q",
			e.Mode(), res.Cmd, want, res.Code, res.Stdout, res.Stderr)
	}
}

// noContainers checks that `ps -a -q` prints nothing.
func noContainers(t *testing.T, e *testutil.Engine, after string) {
	t.Helper()
	if out := e.Must(t, "ps", "-a", "-q"); out != "" {
		t.Errorf("[%s] after %s: containers left:\n%s", e.Mode(), after, out)
	}
}
