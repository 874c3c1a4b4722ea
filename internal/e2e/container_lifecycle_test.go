package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Detached containers: run -d, ps, inspect, exec, logs, stop, kill, wait, rm, start,
// create, restart, attach, pause.

const tickScript = "while true; do echo tick; sleep 0.2; done"

func TestContainerDetached(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		start := time.Now()
		res := e.Run("run", "-d", "--name", "sleeper", img, "sleep", "1000")
		took := time.Since(start)
		if res.Code != 0 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		id := strings.TrimSpace(res.Stdout)
		if !hex64.MatchString(id) || res.Stdout != id+"\n" {
			t.Fatalf("[%s] %s: stdout %q, want one 64-hex id line", e.Mode(), res.Cmd, res.Stdout)
		}
		if strings.TrimSpace(res.Stderr) != "" {
			t.Errorf("[%s] %s: stderr %q, want none", e.Mode(), res.Cmd, res.Stderr)
		}
		if took > 5*time.Second {
			t.Errorf("[%s] run -d took %v", e.Mode(), took)
		}

		// ps: table, -q, --no-trunc, json, template, -a, -l, -n.
		table := e.Must(t, "ps")
		lines := strings.Split(table, "\n")
		if len(lines) != 2 {
			t.Fatalf("[%s] ps: want a header and one row, got:\n%s", e.Mode(), table)
		}
		if h := strings.Fields(lines[0]); strings.Join(h, " ") != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" {
			t.Errorf("[%s] ps header %q", e.Mode(), lines[0])
		}
		for _, want := range []string{id[:12], img, "sleep 1000", "Up ", "sleeper"} {
			if !strings.Contains(lines[1], want) {
				t.Errorf("[%s] ps row %q lacks %q", e.Mode(), lines[1], want)
			}
		}
		if strings.Contains(lines[1], id[:13]) {
			t.Errorf("[%s] ps row %q shows more than 12 characters of the id", e.Mode(), lines[1])
		}
		wantOut(t, e, e.Run("ps", "-q"), id[:12]+"\n")
		wantOut(t, e, e.Run("ps", "-q", "--no-trunc"), id+"\n")
		if out := e.Must(t, "ps", "--no-trunc"); !strings.Contains(out, id) {
			t.Errorf("[%s] ps --no-trunc lacks the full id:\n%s", e.Mode(), out)
		}
		wantOut(t, e, e.Run("ps", "--format", "{{.Names}}"), "sleeper\n")
		wantOut(t, e, e.Run("ps", "--format", "{{.ID}} {{.Names}}", "--no-trunc"), id+" sleeper\n")

		list := psJSON(t, e)
		if len(list) != 1 {
			t.Fatalf("[%s] ps --format json: %d entries, want 1: %+v", e.Mode(), len(list), list)
		}
		c := list[0]
		if c.ID != id || len(c.Names) != 1 || c.Names[0] != "sleeper" || c.State != "running" ||
			!strings.HasPrefix(c.Status, "Up ") || c.ExitCode != 0 || c.Exited {
			t.Errorf("[%s] ps --format json: %+v, want Id %s, Names [sleeper], State running, Status Up ..., ExitCode 0",
				e.Mode(), c, id)
		}

		// An exited container only shows with -a, -l and -n.
		e.Must(t, "run", "--name", "done", img, "true")
		if got := psNames(t, e); strings.Join(got, ",") != "sleeper" {
			t.Errorf("[%s] ps: %q, want [sleeper]", e.Mode(), got)
		}
		if got := psNames(t, e, "-a"); strings.Join(got, ",") != "done,sleeper" {
			t.Errorf("[%s] ps -a: %q, want [done sleeper]", e.Mode(), got)
		}
		wantOut(t, e, e.Run("ps", "-l", "--format", "{{.Names}}"), "done\n")
		wantOut(t, e, e.Run("ps", "-n", "1", "--format", "{{.Names}}"), "done\n")
		wantOut(t, e, e.Run("ps", "-n", "2", "--format", "{{.Names}}"), "done\nsleeper\n")

		// inspect of the running container.
		got := inspectCtr(t, e, "sleeper")
		if got.ID != id || !got.State.Running || got.State.Status != "running" || got.State.Pid <= 0 {
			t.Errorf("[%s] inspect sleeper: Id %s Status %q Running %v Pid %d, want %s running true >0",
				e.Mode(), got.ID, got.State.Status, got.State.Running, got.State.Pid, id)
		}
		if strings.Join(got.Config.Cmd, " ") != "sleep 1000" {
			t.Errorf("[%s] inspect sleeper: Config.Cmd %q, want [sleep 1000]", e.Mode(), got.Config.Cmd)
		}
		if got.State.Pid > 0 {
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", got.State.Pid))
			if err != nil || !strings.HasPrefix(string(cmdline), "sleep\x001000") {
				t.Errorf("[%s] State.Pid %d is not the container's sleep: cmdline %q, %v", e.Mode(), got.State.Pid, cmdline, err)
			}
		}
		if got.State.StartedAt.IsZero() || time.Since(got.State.StartedAt) > time.Minute {
			t.Errorf("[%s] inspect sleeper: StartedAt %v", e.Mode(), got.State.StartedAt)
		}
		// The running container's rootfs is mounted where the leak checks look (so
		// that their finding nothing later means something).
		if m := storeMounts(t, e); !strings.Contains(strings.Join(m, "\n"), "/merged") {
			t.Errorf("[%s] no rootfs mount of the running container under the store: %q", e.Mode(), m)
		}
		if mons := monitorsOf(e); len(mons) != 1 || mons[0] != got.State.ConmonPid {
			t.Errorf("[%s] monitors of the test %v, want [%d] (State.ConmonPid)", e.Mode(), mons, got.State.ConmonPid)
		}
		// By id and unique id prefix as well.
		if inspectCtr(t, e, id[:12]).ID != id {
			t.Errorf("[%s] inspect %s: wrong container", e.Mode(), id[:12])
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{.State.Running}} {{.Name}}", id), "true sleeper\n")
	})
}

func TestContainerExec(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "-d", "--name", "box", "-e", "FROMRUN=1", img, "sleep", "1000")

		wantOut(t, e, e.Run("exec", "box", "echo", "hi"), "hi\n")
		res := e.Run("exec", "box", "sh", "-c", "exit 7")
		if res.Code != 7 {
			t.Errorf("[%s] %s: exit code %d, want 7\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		res = e.Run("exec", "box", "sh", "-c", "echo out; echo err >&2")
		if res.Code != 0 || res.Stdout != "out\n" || res.Stderr != "err\n" {
			t.Errorf("[%s] %s: want stdout \"out\\n\" stderr \"err\\n\"\ngot %s", e.Mode(), res.Cmd, res)
		}
		// The container's environment, plus -e.
		wantOut(t, e, e.Run("exec", "-e", "FOO=bar", "box", "sh", "-c", `echo "$FOO $FROMRUN"`), "bar 1\n")
		wantOut(t, e, e.Run("exec", "-u", "1000", "box", "id", "-u"), "1000\n")
		wantOut(t, e, e.Run("exec", "-u", "app", "box", "sh", "-c", `echo "$(id -u) $(id -g)"`), "1000 1000\n")
		wantOut(t, e, e.Run("exec", "-w", "/tmp", "box", "pwd"), "/tmp\n")
		wantOut(t, e, e.RunStdin(strings.NewReader("data\n"), "exec", "-i", "box", "cat"), "data\n")
		wantOut(t, e, e.RunStdin(strings.NewReader("not for you\n"), "exec", "box", "cat"), "")

		// The exec'd process runs in the container: it sees the container's pid 1.
		wantOut(t, e, e.Run("exec", "box", "cat", "/proc/1/cmdline"), "sleep\x001000\x00")

		res = e.Run("exec", "box", "nosuchcmd")
		if res.Code != 127 {
			t.Errorf("[%s] %s: exit code %d, want 127\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}

		// exec into a stopped container fails with one line, 255 as podman's
		// (audit_containers_test.go).
		e.Must(t, "stop", "-t", "0", "box")
		res = e.Run("exec", "box", "true")
		wantError(t, e, res, 255, false, "running", "state")

		e.Must(t, "create", "--name", "fresh", img, "sleep", "1000")
		res = e.Run("exec", "fresh", "true")
		wantError(t, e, res, 255, false, "running", "state")
	})
}

func TestContainerLogs(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "--name", "l", img, "sh", "-c", "echo early; echo err >&2; sleep 0.6; echo late")
		res := e.Run("logs", "l")
		if res.Code != 0 || res.Stdout != "early\nlate\n" || res.Stderr != "err\n" {
			t.Errorf("[%s] %s: want stdout \"early\\nlate\\n\" and stderr \"err\\n\"\ngot %s", e.Mode(), res.Cmd, res)
		}
		wantOut(t, e, e.Run("logs", "--tail", "1", "l"), "late\n")
		wantOut(t, e, e.Run("logs", "--tail", "0", "l"), "")

		// -t: an RFC 3339 timestamp before each line.
		res = e.Run("logs", "-t", "l")
		stamps := map[string]time.Time{}
		for _, line := range strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n") {
			ts, text, ok := strings.Cut(line, " ")
			when, err := time.Parse(time.RFC3339Nano, ts)
			if !ok || err != nil || time.Since(when) > time.Minute || time.Since(when) < 0 {
				t.Errorf("[%s] logs -t: line %q does not start with a recent RFC 3339 timestamp (%v)", e.Mode(), line, err)
				continue
			}
			stamps[text] = when
		}
		early, late := stamps["early"], stamps["late"]
		if res.Code != 0 || early.IsZero() || late.IsZero() {
			t.Fatalf("[%s] logs -t: want timestamped early and late lines\n%s", e.Mode(), res)
		}
		if late.Sub(early) < 500*time.Millisecond {
			t.Errorf("[%s] logs -t: early %v late %v, want 0.6s apart", e.Mode(), early, late)
		}

		// --since and --until split at a time between the two lines.
		mid := early.Add(late.Sub(early) / 2).Format(time.RFC3339Nano)
		wantOut(t, e, e.Run("logs", "--since", mid, "l"), "late\n")
		res = e.Run("logs", "--until", mid, "l")
		if res.Code != 0 || res.Stdout != "early\n" || res.Stderr != "err\n" {
			t.Errorf("[%s] %s: want stdout \"early\\n\" and stderr \"err\\n\"\ngot %s", e.Mode(), res.Cmd, res)
		}
		wantOut(t, e, e.Run("logs", "--since", "10m", "l"), "early\nlate\n")
		wantOut(t, e, e.Run("logs", "--since", time.Now().Add(time.Second).Format(time.RFC3339), "l"), "")
		wantOut(t, e, e.Run("logs", "--until", early.Add(-time.Second).Format(time.RFC3339Nano), "l"), "")

		// -f returns once the container exits, with everything it printed.
		e.Must(t, "run", "-d", "--name", "f", img, "sh", "-c", "echo a; sleep 1; echo b")
		start := time.Now()
		res = e.Run("logs", "-f", "f")
		took := time.Since(start)
		wantOut(t, e, res, "a\nb\n")
		if took > 10*time.Second {
			t.Errorf("[%s] logs -f took %v after the container's 1s", e.Mode(), took)
		}
		// -f of an exited container returns at once.
		start = time.Now()
		wantOut(t, e, e.Run("logs", "-f", "f"), "a\nb\n")
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("[%s] logs -f of an exited container took %v", e.Mode(), took)
		}
	})
}

func TestContainerStop(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		// pid 1 ignores SIGTERM without a handler: stop -t 1 waits 1s, then SIGKILL.
		e.Must(t, "run", "-d", "--name", "s", img, "sleep", "1000")
		pid := inspectCtr(t, e, "s").State.Pid
		start := time.Now()
		wantOut(t, e, e.Run("stop", "-t", "1", "s"), "s\n")
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("[%s] stop -t 1 of a sleep took %v, want about 1s", e.Mode(), d)
		}
		got := inspectCtr(t, e, "s")
		if got.State.Running || got.State.Status != "exited" || got.State.ExitCode != 137 {
			t.Errorf("[%s] after stop: Status %q Running %v ExitCode %d, want exited false 137",
				e.Mode(), got.State.Status, got.State.Running, got.State.ExitCode)
		}
		if got.State.FinishedAt.Before(got.State.StartedAt) {
			t.Errorf("[%s] after stop: FinishedAt %v before StartedAt %v", e.Mode(), got.State.FinishedAt, got.State.StartedAt)
		}
		if pid > 0 && !waitGone(pid, 2*time.Second) {
			t.Errorf("[%s] after stop: the container's process %d is still alive", e.Mode(), pid)
		}
		if st := e.Must(t, "ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(st, "Exited (137)") {
			t.Errorf("[%s] ps -a status after stop: %q, want Exited (137) ...", e.Mode(), st)
		}
		// Stopping a stopped container is fine.
		wantOut(t, e, e.Run("stop", "s"), "s\n")

		// A container that exits on SIGTERM stops at once with its own code; stop
		// prints the name as given (here an id prefix).
		id := runDetached(t, e, "--name", "trap", img, "sh", "-c", `trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done`)
		waitLog(t, e, "trap", "ready", 10*time.Second)
		start = time.Now()
		wantOut(t, e, e.Run("stop", id[:12]), id[:12]+"\n")
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("[%s] stop of a container that exits on SIGTERM took %v", e.Mode(), d)
		}
		if got := inspectCtr(t, e, "trap"); got.State.Status != "exited" || got.State.ExitCode != 0 {
			t.Errorf("[%s] after stop: Status %q ExitCode %d, want exited 0", e.Mode(), got.State.Status, got.State.ExitCode)
		}

		// stop of a created container.
		e.Must(t, "create", "--name", "c", img, "true")
		wantOut(t, e, e.Run("stop", "c"), "c\n")

		// stop -a stops every running container.
		e.Must(t, "run", "-d", "--name", "a1", img, "sleep", "1000")
		e.Must(t, "run", "-d", "--name", "a2", img, "sleep", "1000")
		e.Must(t, "stop", "-a", "-t", "0")
		if got := psNames(t, e); len(got) != 0 {
			t.Errorf("[%s] ps after stop -a: %q, want none running", e.Mode(), got)
		}
	})
}

func TestContainerKill(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "k", img, "sh", "-c",
			`trap "echo got usr1" USR1; echo ready; while true; do sleep 0.1; done`)
		waitLog(t, e, "k", "ready", 10*time.Second)
		wantOut(t, e, e.Run("kill", "-s", "USR1", "k"), "k\n")
		waitLog(t, e, "k", "got usr1", 5*time.Second)
		if got := inspectCtr(t, e, "k"); !got.State.Running {
			t.Errorf("[%s] after kill -s USR1: Status %q, want still running", e.Mode(), got.State.Status)
		}
		wantOut(t, e, e.Run("kill", "--signal", "SIGUSR1", "k"), "k\n")

		// The default signal is KILL.
		wantOut(t, e, e.Run("kill", "k"), "k\n")
		if code := e.Must(t, "wait", "k"); code != "137" {
			t.Errorf("[%s] wait after kill: %q, want 137", e.Mode(), code)
		}
		if got := inspectCtr(t, e, "k"); got.State.Status != "exited" || got.State.ExitCode != 137 {
			t.Errorf("[%s] after kill: Status %q ExitCode %d, want exited 137", e.Mode(), got.State.Status, got.State.ExitCode)
		}

		// kill -s by number.
		e.Must(t, "run", "-d", "--name", "k2", img, "sleep", "1000")
		wantOut(t, e, e.Run("kill", "-s", "9", "k2"), "k2\n")
		if code := e.Must(t, "wait", "k2"); code != "137" {
			t.Errorf("[%s] wait after kill -s 9: %q, want 137", e.Mode(), code)
		}

		// kill of a container that is not running fails (podman: 125).
		res := e.Run("kill", "k2")
		wantError(t, e, res, 125, false, "running", "state")
	})
}

func TestContainerWait(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "w", img, "sh", "-c", "sleep 0.5; exit 4")
		start := time.Now()
		wantOut(t, e, e.Run("wait", "w"), "4\n")
		if time.Since(start) > 10*time.Second {
			t.Errorf("[%s] wait took %v", e.Mode(), time.Since(start))
		}
		// Already exited.
		wantOut(t, e, e.Run("wait", "w"), "4\n")
		e.Must(t, "run", "--name", "z", img, "true")
		wantOut(t, e, e.Run("wait", "w", "z"), "4\n0\n")
		// inspect agrees.
		wantOut(t, e, e.Run("inspect", "--format", "{{.State.ExitCode}}", "w"), "4\n")
	})
}

func TestContainerRm(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		id := runDetached(t, e, "--name", "r", img, "sleep", "1000")
		got := inspectCtr(t, e, "r")
		pid, mon := got.State.Pid, got.State.ConmonPid

		// A running container needs -f: exit 2, one line, the container stays.
		res := e.Run("rm", "r")
		wantError(t, e, res, 2, false, "running")
		if got := inspectCtr(t, e, "r"); !got.State.Running {
			t.Errorf("[%s] after the refused rm: Status %q, want running", e.Mode(), got.State.Status)
		}

		// rm -f prints the name given and takes the processes with it.
		wantOut(t, e, e.Run("rm", "-f", "r"), "r\n")
		if res := e.Run("inspect", id); res.Code == 0 {
			t.Errorf("[%s] inspect after rm -f succeeded: %s", e.Mode(), res.Stdout)
		}
		if pid > 0 && !waitGone(pid, 3*time.Second) {
			t.Errorf("[%s] after rm -f: container process %d still alive", e.Mode(), pid)
		}
		if mon > 0 && !waitGone(mon, 3*time.Second) {
			t.Errorf("[%s] after rm -f: monitor %d still alive", e.Mode(), mon)
		}
		noContainers(t, e, "rm -f")

		// rm of an exited container, by id.
		e.Must(t, "run", "--name", "ex", img, "true")
		exID := inspectCtr(t, e, "ex").ID
		wantOut(t, e, e.Run("rm", exID), exID+"\n")

		// rm of a container that does not exist: 1.
		res = e.Run("rm", "nosuch")
		wantError(t, e, res, 1, false, "no such container", "no container")

		// rm -a -f takes running, exited and created containers.
		e.Must(t, "run", "-d", "--name", "a1", img, "sleep", "1000")
		e.Must(t, "run", "-d", "--name", "a2", img, "sh", "-c", tickScript)
		e.Must(t, "run", "--name", "a3", img, "true")
		e.Must(t, "create", "--name", "a4", img, "true")
		var pids []int
		for _, c := range psJSON(t, e) {
			pids = append(pids, c.Pid)
		}
		res = e.Run("rm", "-a", "-f")
		if res.Code != 0 || len(sortedLines(res.Stdout)) != 4 {
			t.Errorf("[%s] %s: want exit 0 and 4 ids\n%s", e.Mode(), res.Cmd, res)
		}
		noContainers(t, e, "rm -a -f")
		for _, p := range pids {
			if p > 0 && !waitGone(p, 3*time.Second) {
				t.Errorf("[%s] after rm -a -f: container process %d still alive", e.Mode(), p)
			}
		}
		if m := storeMounts(t, e); len(m) > 0 {
			t.Errorf("[%s] mounts left after rm -a -f: %q", e.Mode(), m)
		}
		// A monitor may still be finishing its cleanup for a moment.
		if !eventually(3*time.Second, func() bool { return len(monitorsOf(e)) == 0 }) {
			t.Errorf("[%s] monitors left 3s after rm -a -f: %v", e.Mode(), describePids(monitorsOf(e)))
		}
	})
}

func TestContainerStartCreate(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		// start of an exited container runs it again.
		e.Must(t, "run", "--name", "again", img, "echo", "run")
		wantOut(t, e, e.Run("start", "again"), "again\n")
		if code := e.Must(t, "wait", "again"); code != "0" {
			t.Errorf("[%s] wait again: %q, want 0", e.Mode(), code)
		}
		wantOut(t, e, e.Run("logs", "again"), "run\nrun\n")

		// start -a prints the output and returns the exit code.
		res := e.Run("run", "--name", "five", img, "sh", "-c", "echo hello; echo oops >&2; exit 5")
		if res.Code != 5 {
			t.Errorf("[%s] %s: exit %d, want 5", e.Mode(), res.Cmd, res.Code)
		}
		res = e.Run("start", "-a", "five")
		if res.Code != 5 || res.Stdout != "hello\n" || res.Stderr != "oops\n" {
			t.Errorf("[%s] %s: want exit 5, stdout \"hello\\n\", stderr \"oops\\n\"\ngot %s", e.Mode(), res.Cmd, res)
		}

		// create, then start.
		res = e.Run("create", "--name", "cr", img, "echo", "created")
		id := strings.TrimSpace(res.Stdout)
		if res.Code != 0 || !hex64.MatchString(id) {
			t.Fatalf("[%s] %s: want one 64-hex id\n%s", e.Mode(), res.Cmd, res)
		}
		list := psJSON(t, e, "-a", "--filter", "name=^cr$")
		if len(list) != 1 || list[0].ID != id || list[0].State != "created" || list[0].Status != "Created" {
			t.Errorf("[%s] ps -a of a created container: %+v, want State created, Status Created", e.Mode(), list)
		}
		if got := inspectCtr(t, e, "cr"); got.State.Running || got.State.Pid != 0 || got.State.Status != "created" {
			t.Errorf("[%s] inspect created: Status %q Running %v Pid %d", e.Mode(), got.State.Status, got.State.Running, got.State.Pid)
		}
		wantOut(t, e, e.Run("start", "cr"), "cr\n")
		if code := e.Must(t, "wait", "cr"); code != "0" {
			t.Errorf("[%s] wait cr: %q, want 0", e.Mode(), code)
		}
		wantOut(t, e, e.Run("logs", "cr"), "created\n")

		e.Must(t, "create", "--name", "cra", img, "echo", "attached")
		wantOut(t, e, e.Run("start", "-a", "cra"), "attached\n")

		// create -i, start -a -i: stdin reaches the container.
		e.Must(t, "create", "-i", "--name", "cri", img, "cat")
		wantOut(t, e, e.RunStdin(strings.NewReader("piped\n"), "start", "-a", "-i", "cri"), "piped\n")

		// start of a running container is a no-op.
		e.Must(t, "run", "-d", "--name", "up", img, "sleep", "1000")
		pid := inspectCtr(t, e, "up").State.Pid
		wantOut(t, e, e.Run("start", "up"), "up\n")
		if got := inspectCtr(t, e, "up").State.Pid; got != pid {
			t.Errorf("[%s] start of a running container changed its pid %d -> %d", e.Mode(), pid, got)
		}
	})
}

func TestContainerRestart(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "rs", img, "sleep", "1000")
		before := inspectCtr(t, e, "rs")
		wantOut(t, e, e.Run("restart", "-t", "0", "rs"), "rs\n")
		after := inspectCtr(t, e, "rs")
		if !after.State.Running || after.State.Pid <= 0 || after.State.Pid == before.State.Pid {
			t.Errorf("[%s] after restart: Running %v Pid %d (before %d), want running with a new pid",
				e.Mode(), after.State.Running, after.State.Pid, before.State.Pid)
		}
		if !after.State.StartedAt.After(before.State.StartedAt) {
			t.Errorf("[%s] after restart: StartedAt %v, not after %v", e.Mode(), after.State.StartedAt, before.State.StartedAt)
		}
		if before.State.Pid > 0 && !waitGone(before.State.Pid, 2*time.Second) {
			t.Errorf("[%s] after restart: the old process %d is still alive", e.Mode(), before.State.Pid)
		}
		if mons := monitorsOf(e); len(mons) != 1 {
			t.Errorf("[%s] after restart: %d monitors (%v), want 1", e.Mode(), len(mons), mons)
		}

		// restart of an exited container starts it.
		e.Must(t, "run", "--name", "rx", img, "echo", "once")
		wantOut(t, e, e.Run("restart", "rx"), "rx\n")
		if code := e.Must(t, "wait", "rx"); code != "0" {
			t.Errorf("[%s] wait rx: %q", e.Mode(), code)
		}
		wantOut(t, e, e.Run("logs", "rx"), "once\nonce\n")
	})
}

func TestContainerAttach(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "ticker", img, "sh", "-c", tickScript)
		pid := inspectCtr(t, e, "ticker").State.Pid

		for round := 0; round < 2; round++ {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			cmd := command(ctx, e, "attach", "ticker")
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			cancel()
			if ctx.Err() == nil {
				t.Errorf("[%s] attach returned before it was killed: %v\nstdout %q\nstderr %q", e.Mode(), err, out.String(), errOut.String())
			}
			if n := strings.Count(out.String(), "tick\n"); n < 2 {
				t.Errorf("[%s] attach (round %d) printed %d ticks in 1.5s, want several\nstdout %q\nstderr %q",
					e.Mode(), round, n, out.String(), errOut.String())
			}
			if got := inspectCtr(t, e, "ticker"); !got.State.Running || got.State.Pid != pid {
				t.Fatalf("[%s] after killing attach: Status %q Pid %d (was %d), want still running", e.Mode(), got.State.Status, got.State.Pid, pid)
			}
		}
		// The container keeps logging after the attach client was killed.
		n := strings.Count(e.Must(t, "logs", "ticker"), "tick")
		if !eventually(3*time.Second, func() bool { return strings.Count(e.Must(t, "logs", "ticker"), "tick") > n+1 }) {
			t.Errorf("[%s] the container stopped logging after attach was killed", e.Mode())
		}

		// attach returns with the container's exit code when it ends.
		e.Must(t, "run", "-d", "--name", "ender", img, "sh", "-c", "sleep 1; echo bye; exit 6")
		res := e.Run("attach", "ender")
		if res.Code != 6 || !strings.Contains(res.Stdout, "bye\n") {
			t.Errorf("[%s] %s: want exit 6 and bye on stdout\ngot %s", e.Mode(), res.Cmd, res)
		}

		// attach to a container that is not running fails.
		res = e.Run("attach", "ender")
		wantError(t, e, res, 125, false, "running", "state")
	})
}

func TestContainerPause(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "-d", "--name", "p", img, "sh", "-c", tickScript)
		waitLog(t, e, "p", "tick", 10*time.Second)

		if e.Rootless() {
			// No cgroup freezer without a delegated cgroup: a clear error, nothing changes.
			res := e.Run("pause", "p")
			if res.Code == 0 {
				t.Fatalf("[%s] %s succeeded, want a clear error", e.Mode(), res.Cmd)
			}
			wantError(t, e, res, 125, false, "rootless", "cgroup", "freezer")
			if got := inspectCtr(t, e, "p"); !got.State.Running || got.State.Paused {
				t.Errorf("[%s] after the failed pause: Status %q Paused %v, want running", e.Mode(), got.State.Status, got.State.Paused)
			}
			res = e.Run("unpause", "p")
			if res.Code == 0 {
				t.Errorf("[%s] %s succeeded, want an error", e.Mode(), res.Cmd)
			}
			return
		}

		wantOut(t, e, e.Run("pause", "p"), "p\n")
		// ps without -a lists running containers only, as podman (audit_containers_test.go).
		list := psJSON(t, e, "-a")
		if len(list) != 1 || list[0].State != "paused" || !strings.Contains(list[0].Status, "Paused") {
			t.Errorf("[%s] ps after pause: %+v, want State paused and Status showing Paused", e.Mode(), list)
		}
		if got := inspectCtr(t, e, "p"); !got.State.Paused || got.State.Status != "paused" {
			t.Errorf("[%s] inspect after pause: Status %q Paused %v", e.Mode(), got.State.Status, got.State.Paused)
		}
		// A paused container makes no progress.
		time.Sleep(300 * time.Millisecond)
		n := strings.Count(e.Must(t, "logs", "p"), "tick")
		time.Sleep(800 * time.Millisecond)
		if m := strings.Count(e.Must(t, "logs", "p"), "tick"); m != n {
			t.Errorf("[%s] paused container went on printing: %d ticks, then %d", e.Mode(), n, m)
		}
		if got := psNames(t, e, "--filter", "status=paused"); strings.Join(got, ",") != "p" {
			t.Errorf("[%s] ps --filter status=paused: %q, want [p]", e.Mode(), got)
		}

		wantOut(t, e, e.Run("unpause", "p"), "p\n")
		list = psJSON(t, e)
		if len(list) != 1 || list[0].State != "running" || !strings.HasPrefix(list[0].Status, "Up ") || strings.Contains(list[0].Status, "Paused") {
			t.Errorf("[%s] ps after unpause: %+v, want State running and Status Up ...", e.Mode(), list)
		}
		if !eventually(3*time.Second, func() bool { return strings.Count(e.Must(t, "logs", "p"), "tick") > n+1 }) {
			t.Errorf("[%s] the container makes no progress after unpause", e.Mode())
		}
		// unpause of a running container fails.
		res := e.Run("unpause", "p")
		wantError(t, e, res, 125, false, "paused", "state")

		// A paused container can be removed with -f.
		e.Must(t, "pause", "p")
		pid := inspectCtr(t, e, "p").State.Pid
		e.Must(t, "rm", "-f", "p")
		if pid > 0 && !waitGone(pid, 3*time.Second) {
			t.Errorf("[%s] after rm -f of a paused container: process %d still alive", e.Mode(), pid)
		}
	})
}
