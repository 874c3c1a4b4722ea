package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Foreground `run`: output, streams, exit codes, stdin.

func TestContainerRunOutput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		res := e.Run("run", "--rm", img, "echo", "hi")
		wantOut(t, e, res, "hi\n")
		if res.Stderr != "" {
			t.Errorf("[%s] %s: stderr %q, want none", e.Mode(), res.Cmd, res.Stderr)
		}
		noContainers(t, e, "run --rm")

		// stdout and stderr stay separate.
		res = e.Run("run", "--rm", img, "sh", "-c", "echo out; echo err >&2")
		wantOut(t, e, res, "out\n")
		if res.Stderr != "err\n" {
			t.Errorf("[%s] %s: stderr %q, want %q", e.Mode(), res.Cmd, res.Stderr, "err\n")
		}

		// Output written just before the container exits is not lost.
		res = e.Run("run", "--rm", img, "seq", "1", "20000")
		if res.Code != 0 {
			t.Errorf("[%s] %s", e.Mode(), res)
		} else if lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n"); len(lines) != 20000 || lines[19999] != "20000" {
			t.Errorf("[%s] %s: %d lines (last %q), want 20000 ending in 20000",
				e.Mode(), res.Cmd, len(lines), lines[len(lines)-1])
		}
		noContainers(t, e, "run --rm")
	})
}

func TestContainerRunExitCodes(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		res := e.Run("run", "--name", "three", img, "sh", "-c", "exit 3")
		if res.Code != 3 {
			t.Errorf("[%s] %s: exit code %d, want 3\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		if got := inspectCtr(t, e, "three"); got.State.Status != "exited" || got.State.ExitCode != 3 || got.State.Running {
			t.Errorf("[%s] inspect three: Status %q ExitCode %d Running %v, want exited 3 false",
				e.Mode(), got.State.Status, got.State.ExitCode, got.State.Running)
		}
		if st := e.Must(t, "ps", "-a", "--format", "{{.Status}}", "--filter", "name=three"); !strings.HasPrefix(st, "Exited (3)") {
			t.Errorf("[%s] ps status of three: %q, want Exited (3) ...", e.Mode(), st)
		}
		e.Must(t, "rm", "three")

		res = e.Run("run", img, "false")
		if res.Code != 1 {
			t.Errorf("[%s] %s: exit code %d, want 1", e.Mode(), res.Cmd, res.Code)
		}
		e.Must(t, "rm", "-a")

		// A command that does not exist: 127, one error line, nothing left behind.
		res = e.Run("run", img, "nosuchcmd")
		wantError(t, e, res, 127, false, "not found", "no such file")
		noContainers(t, e, "run nosuchcmd")

		res = e.Run("run", "--rm", img, "nosuchcmd")
		wantError(t, e, res, 127, false, "not found", "no such file")
		noContainers(t, e, "run --rm nosuchcmd")

		// A file that cannot be executed: 126.
		res = e.Run("run", img, "/etc/passwd")
		wantError(t, e, res, 126, false, "permission denied")
		noContainers(t, e, "run /etc/passwd")

		// A directory cannot be executed either.
		res = e.Run("run", img, "/tmp")
		wantError(t, e, res, 126, false, "permission denied", "is a directory")
		noContainers(t, e, "run /tmp")
	})
}

func TestContainerRunStdin(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		wantOut(t, e, e.RunStdin(strings.NewReader("x\n"), "run", "--rm", "-i", img, "cat"), "x\n")

		// More than a pipe buffer, and EOF reaches the container.
		big := strings.Repeat("0123456789abcdef", 300000/16)
		wantOut(t, e, e.RunStdin(strings.NewReader(big), "run", "--rm", "-i", img, "wc", "-c"),
			strconv.Itoa(len(big))+"\n")

		// Without -i the container's stdin is empty.
		wantOut(t, e, e.RunStdin(strings.NewReader("not for you\n"), "run", "--rm", img, "cat"), "")
		noContainers(t, e, "run --rm -i")
	})
}

func TestContainerRunOptions(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		wantOut(t, e, e.Run("run", "--rm", "-e", "K=V", "-e", "OTHER=a b", img, "sh", "-c", `echo "$K|$OTHER"`), "V|a b\n")

		envFile := userFile(t, e, "envfile", "# a comment\nA=1\n\nB=two words\n")
		res := e.Run("run", "--rm", "--env-file", envFile, img, "env")
		if res.Code != 0 || !strings.Contains(res.Stdout, "A=1\n") || !strings.Contains(res.Stdout, "B=two words\n") {
			t.Errorf("[%s] %s: want A=1 and B=two words in the environment\n%s", e.Mode(), res.Cmd, res)
		}
		// -e wins over --env-file.
		wantOut(t, e, e.Run("run", "--rm", "--env-file", envFile, "-e", "A=2", img, "sh", "-c", "echo $A"), "2\n")

		wantOut(t, e, e.Run("run", "--rm", "-w", "/tmp", img, "pwd"), "/tmp\n")
		// A working directory that does not exist in the image is created.
		wantOut(t, e, e.Run("run", "--rm", "-w", "/new/dir", img, "pwd"), "/new/dir\n")

		wantOut(t, e, e.Run("run", "--rm", "--entrypoint", "echo", img, "a", "b"), "a b\n")

		wantOut(t, e, e.Run("run", "--rm", "--hostname", "myhost", img, "hostname"), "myhost\n")

		// Without --hostname the hostname is the short id.
		e.Must(t, "run", "--name", "hn", img, "hostname")
		id := inspectCtr(t, e, "hn").ID
		if out := e.Must(t, "logs", "hn"); out != id[:12] {
			t.Errorf("[%s] default hostname %q, want the short id %q", e.Mode(), out, id[:12])
		}

		// --name: ps and inspect show it.
		e.Must(t, "run", "--name", "named", img, "true")
		if got := inspectCtr(t, e, "named"); got.Name != "named" {
			t.Errorf("[%s] inspect named: Name %q, want named", e.Mode(), got.Name)
		}
		if got := psNames(t, e, "-a", "--filter", "name=^named$"); len(got) != 1 || got[0] != "named" {
			t.Errorf("[%s] ps -a --filter name=^named$: %q, want [named]", e.Mode(), got)
		}

		// --label: inspect shows it.
		e.Must(t, "run", "--name", "labelled", "--label", "a=b", "--label", "c", img, "true")
		got := inspectCtr(t, e, "labelled")
		if v, ok := got.Config.Labels["a"]; !ok || v != "b" {
			t.Errorf("[%s] inspect labelled: Labels %v, want a=b", e.Mode(), got.Config.Labels)
		}
		if v, ok := got.Config.Labels["c"]; !ok || v != "" {
			t.Errorf("[%s] inspect labelled: Labels %v, want c with an empty value", e.Mode(), got.Config.Labels)
		}
		e.Must(t, "rm", "-a")
	})
}

func TestContainerRunUser(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		wantOut(t, e, e.Run("run", "--rm", img, "id", "-u"), "0\n")
		wantOut(t, e, e.Run("run", "--rm", "-u", "1000", img, "id", "-u"), "1000\n")
		// A name is resolved in the image's /etc/passwd: uid, primary group, HOME.
		wantOut(t, e, e.Run("run", "--rm", "-u", "app", img, "sh", "-c", `echo "$(id -u) $(id -g) $HOME"`), "1000 1000 /home/app\n")
		wantOut(t, e, e.Run("run", "--rm", "-u", "1000:65534", img, "sh", "-c", `echo "$(id -u) $(id -g)"`), "1000 65534\n")
		wantOut(t, e, e.Run("run", "--rm", "-u", "app:nogroup", img, "sh", "-c", `echo "$(id -u) $(id -g)"`), "1000 65534\n")
		// A uid the image does not know is allowed.
		wantOut(t, e, e.Run("run", "--rm", "-u", "4242", img, "id", "-u"), "4242\n")
		noContainers(t, e, "run --rm -u")
	})
}

func TestContainerRunCidfile(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		cidfile := filepath.Join(e.Home, "cid")
		id := runDetached(t, e, "--cidfile", cidfile, img, "sleep", "1000")
		data, err := os.ReadFile(cidfile)
		if err != nil {
			t.Fatalf("[%s] --cidfile: %v", e.Mode(), err)
		}
		if string(data) != id {
			t.Errorf("[%s] cidfile holds %q, want %q", e.Mode(), data, id)
		}

		// An existing cidfile is an error and leaves no new container.
		res := e.Run("run", "-d", "--cidfile", cidfile, img, "sleep", "1000")
		wantError(t, e, res, 125, false, "exists", "cidfile", "container id file")
		if ids := sortedLines(e.Must(t, "ps", "-a", "-q", "--no-trunc")); len(ids) != 1 || ids[0] != id {
			t.Errorf("[%s] after the failed run: containers %q, want only %s", e.Mode(), ids, id)
		}
		e.Must(t, "rm", "-f", id)
	})
}

// stopSignalIs tells whether an inspect StopSignal is sig by name ("SIGUSR1", as
// docker and podman 5 print it) or number (10, as podman 4 prints it).
func stopSignalIs(raw json.RawMessage, name string, num int) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == name || s == strings.TrimPrefix(name, "SIG")
	}
	var n int
	return json.Unmarshal(raw, &n) == nil && n == num
}

func TestContainerStopConfig(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "create", "--name", "dflt", img, "true")
		got := inspectCtr(t, e, "dflt")
		if !stopSignalIs(got.Config.StopSignal, "SIGTERM", 15) || got.Config.StopTimeout != 10 {
			t.Errorf("[%s] inspect dflt: StopSignal %s StopTimeout %d, want SIGTERM 10",
				e.Mode(), got.Config.StopSignal, got.Config.StopTimeout)
		}
		if got.Config.Cmd == nil || strings.Join(got.Config.Cmd, " ") != "true" {
			t.Errorf("[%s] inspect dflt: Config.Cmd %q, want [true]", e.Mode(), got.Config.Cmd)
		}

		e.Must(t, "create", "--name", "custom", "--stop-signal", "USR1", "--stop-timeout", "7", img, "true")
		got = inspectCtr(t, e, "custom")
		if !stopSignalIs(got.Config.StopSignal, "SIGUSR1", 10) || got.Config.StopTimeout != 7 {
			t.Errorf("[%s] inspect custom: StopSignal %s StopTimeout %d, want SIGUSR1 7",
				e.Mode(), got.Config.StopSignal, got.Config.StopTimeout)
		}
		e.Must(t, "rm", "dflt", "custom")

		// stop sends the configured signal: a container that exits on USR1 stops at once.
		e.Must(t, "run", "-d", "--name", "usr1", "--stop-signal", "SIGUSR1", img,
			"sh", "-c", `trap "exit 0" USR1; echo ready; while true; do sleep 0.1; done`)
		waitLog(t, e, "usr1", "ready", 10*time.Second)
		start := time.Now()
		wantOut(t, e, e.Run("stop", "usr1"), "usr1\n")
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("[%s] stop of a container that exits on its stop signal took %v", e.Mode(), d)
		}
		if code := e.Must(t, "wait", "usr1"); code != "0" {
			t.Errorf("[%s] wait usr1: %q, want 0", e.Mode(), code)
		}

		// stop waits --stop-timeout seconds before SIGKILL.
		e.Must(t, "run", "-d", "--name", "short", "--stop-timeout", "1", img, "sleep", "1000")
		start = time.Now()
		wantOut(t, e, e.Run("stop", "short"), "short\n")
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("[%s] stop of a container with --stop-timeout 1 that ignores SIGTERM took %v, want about 1s", e.Mode(), d)
		}
		if code := e.Must(t, "wait", "short"); code != "137" {
			t.Errorf("[%s] wait short: %q, want 137", e.Mode(), code)
		}
		e.Must(t, "rm", "-a")
	})
}
