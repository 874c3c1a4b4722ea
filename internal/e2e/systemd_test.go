package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/testutil"
)

// A systemd unit written for podman (`podman generate systemd --new`) runs
// unchanged: Type=notify with NotifyAccess=all, and
//
//	ExecStart=engine run --cidfile=F --cgroups=no-conmon --rm --sdnotify=conmon -d --replace --name N IMAGE ...
//	ExecStop=engine stop --ignore -t 10 --cidfile=F
//	ExecStopPost=engine rm -f --ignore -t 10 --cidfile=F
//
// There is no systemd here: the test plays its part with a NOTIFY_SOCKET of
// its own and checks what arrives there.
func TestSystemdUnitCommands(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		sock := listenNotify(t, e)
		cid := filepath.Join(e.Home, "unit.ctr-id")
		start := func() string {
			t.Helper()
			_ = os.Remove(cid) // ExecStartPre=/bin/rm -f %t/%n.ctr-id
			res := withNotify(e, sock.path, func() testutil.Result {
				return e.Run("run", "--cidfile="+cid, "--cgroups=no-conmon", "--rm", "--sdnotify=conmon", "-d", "--replace",
					"--name", "unit", img, "sh", "-c", `echo "[$NOTIFY_SOCKET]"; sleep 100`)
			})
			if res.Code != 0 {
				t.Fatalf("[%s] %s: exit %d: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
			}
			return strings.TrimSpace(res.Stdout)
		}
		id := start()
		mon := e.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", "unit")
		if got := sock.next(t, 10*time.Second); got != "MAINPID="+mon+"\nREADY=1" {
			t.Errorf("[%s] --sdnotify=conmon sent %q, want MAINPID=%s and READY=1", e.Mode(), got, mon)
		}
		if comm, _ := os.ReadFile("/proc/" + mon + "/comm"); strings.TrimSpace(string(comm)) != monitorComm {
			t.Errorf("[%s] MAINPID %s is %q, not the monitor", e.Mode(), mon, comm)
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{.Config.SdNotifyMode}} {{.Config.SdNotifySocket}}", "unit"),
			"conmon "+sock.path+"\n")
		waitLog(t, e, "unit", "[]", 5*time.Second) // the socket is not passed into the container

		// A restart of the unit replaces the container left running.
		id2 := start()
		if id2 == id {
			t.Fatalf("[%s] --replace kept container %s", e.Mode(), id)
		}
		_ = sock.next(t, 10*time.Second)
		wantOut(t, e, e.Run("ps", "-a", "--format", "{{.ID}} {{.Names}}"), id2[:12]+" unit\n")

		wantOut(t, e, e.Run("stop", "--ignore", "-t", "10", "--cidfile="+cid), id2+"\n")
		if res := e.Run("rm", "-f", "--ignore", "-t", "10", "--cidfile="+cid); res.Code != 0 {
			t.Errorf("[%s] %s: exit %d: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		waitNoCtr(t, e, "unit")
		// The unit stopped twice, or its file is gone: nothing to do.
		wantOut(t, e, e.Run("stop", "--ignore", "-t", "10", "--cidfile="+cid), "")
		_ = os.Remove(cid)
		wantOut(t, e, e.Run("stop", "--ignore", "-t", "10", "--cidfile="+cid), "")
		wantOut(t, e, e.Run("rm", "-f", "--ignore", "-t", "10", "--cidfile="+cid), "")
		wantOut(t, e, e.Run("stop", "--ignore", "nosuchctr"), "")
		wantError(t, e, e.Run("stop", "--cidfile="+cid), 125, false, "reading CIDFile", "no such file")
		wantError(t, e, e.Run("kill", "--cidfile="+cid), 125, false, "reading CIDFile")
		wantError(t, e, e.Run("stop", "--cidfile="+cid, "unit"), 125, false, "no arguments are needed with --cidfile")
		noContainers(t, e, "the unit's stop")
	})
}

func TestSystemdNotifyModes(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		sock := listenNotify(t, e)
		helper := sdnotifyHelper(t, e)

		// container (the default): the container says when it is ready, through
		// the monitor's proxy; its MAINPID line is dropped, engine's is the monitor.
		withNotify(e, sock.path, func() testutil.Result {
			return e.Run("run", "-d", "--name", "ready", "-v", helper+":/notify:ro", img,
				"sh", "-c", `echo "[$NOTIFY_SOCKET]"; /notify 'STATUS=up\nMAINPID=1\nREADY=1'; sleep 100`)
		})
		mon := e.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", "ready")
		got := map[string]bool{}
		for len(got) < 2 {
			msg := sock.next(t, 10*time.Second)
			if msg == "" {
				break
			}
			got[msg] = true
		}
		if want := map[string]bool{"MAINPID=" + mon: true, "STATUS=up\nREADY=1": true}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("[%s] --sdnotify=container: got %v, want %v", e.Mode(), got, want)
		}
		waitLog(t, e, "ready", "[/run/notify/notify.sock]", 5*time.Second)
		wantOut(t, e, e.Run("inspect", "--format", "{{.Config.SdNotifyMode}}", "ready"), "container\n")
		e.Must(t, "rm", "-f", "-t", "0", "ready")

		// ignore: nothing is sent and the container does not see the socket.
		withNotify(e, sock.path, func() testutil.Result {
			return e.Run("run", "-d", "--sdnotify=ignore", "--name", "quiet", img, "sh", "-c", `echo "[$NOTIFY_SOCKET]"; sleep 100`)
		})
		waitLog(t, e, "quiet", "[]", 5*time.Second)
		if msg := sock.next(t, time.Second); msg != "" {
			t.Errorf("[%s] --sdnotify=ignore sent %q", e.Mode(), msg)
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{.Config.SdNotifyMode}}[{{.Config.SdNotifySocket}}]", "quiet"), "ignore[]\n")
		e.Must(t, "rm", "-f", "-t", "0", "quiet")

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--sdnotify=bogus"}, `invalid sdnotify value "bogus"`},
			{[]string{"--cgroups=bogus"}, `invalid cgroup mode "bogus"`},
			{[]string{"--cgroups=split"}, "--cgroups=split is not supported"},
			{[]string{"--replace"}, "cannot replace container without --name being set"},
		} {
			wantError(t, e, e.Run(append(append([]string{"run", "-d"}, tc.args...), img, "true")...), 125, false, tc.want)
		}
		noContainers(t, e, "the sdnotify modes")
	})
}

// Under systemd the monitor is the service's main process: it exits with the
// container's code, which Restart=on-failure reads. The test re-executes
// itself as a child subreaper to see the orphaned monitor's status (as root
// only: the monitor is the same program for an ordinary user).
func TestMonitorExitCode(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := ctrSetup(t, e)
	cmd := exec.Command(os.Args[0], append([]string{e.Bin, "--root", e.Root, "--runroot", e.RunRoot}, "run", "-d", img, "sh", "-c", "exit 3")...)
	cmd.Env = append(append([]string{}, e.Env...), subreaperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("subreaper: %v\n%s", err, out)
	}
	// Lines: the run's output (the id), then "reaped PID CODE" per orphan.
	var codes []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "reaped" {
			codes = append(codes, f[2])
		}
	}
	if len(codes) != 1 || codes[0] != "3" {
		t.Errorf("orphans reaped with codes %v, want the monitor's, 3\n%s", codes, out)
	}
	e.Must(t, "rm", "-a", "-f")
}

const subreaperEnv = "ENGINE_E2E_SUBREAPER"

// The test binary re-executed with subreaperEnv: run the command in os.Args,
// then reap every orphan it leaves (the monitor) and print its exit code.
func init() {
	if os.Getenv(subreaperEnv) == "" {
		return
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Println("prctl:", err)
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Env = os.Environ()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Println("run:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.ECHILD {
			os.Exit(0)
		}
		if err == nil {
			fmt.Println("reaped", pid, ws.ExitStatus())
		}
	}
	os.Exit(2)
}

// notifySock is a NOTIFY_SOCKET the test reads.
type notifySock struct {
	path string
	conn *net.UnixConn
}

func listenNotify(t *testing.T, e *testutil.Engine) *notifySock {
	t.Helper()
	path := filepath.Join(e.Home, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := os.Chmod(path, 0o666); err != nil { // the rootless monitor sends too
		t.Fatal(err)
	}
	return &notifySock{path: path, conn: conn}
}

// next returns the next datagram, or "" after wait.
func (s *notifySock) next(t *testing.T, wait time.Duration) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = s.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := s.conn.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// withNotify runs fn with NOTIFY_SOCKET in the engine's environment.
func withNotify(e *testutil.Engine, path string, fn func() testutil.Result) testutil.Result {
	saved := e.Env
	e.Env = append(append([]string{}, saved...), "NOTIFY_SOCKET="+path)
	defer func() { e.Env = saved }()
	return fn()
}

var (
	sdnotifyOnce sync.Once
	sdnotifyBin  string
	sdnotifyErr  error
)

// sdnotifyHelper builds testdata/sdnotify (static) once, and copies it where
// the engine's user can read it.
func sdnotifyHelper(t *testing.T, e *testutil.Engine) string {
	t.Helper()
	sdnotifyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sdnotify")
		if err != nil {
			sdnotifyErr = err
			return
		}
		sdnotifyBin = filepath.Join(dir, "sdnotify")
		cmd := exec.Command("go", "build", "-o", sdnotifyBin, "./testdata/sdnotify")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			sdnotifyErr = fmt.Errorf("building testdata/sdnotify: %v\n%s", err, out)
		}
	})
	if sdnotifyErr != nil {
		t.Fatal(sdnotifyErr)
	}
	b, err := os.ReadFile(sdnotifyBin)
	if err != nil {
		t.Fatal(err)
	}
	path := userFile(t, e, "sdnotify", string(b))
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitNoCtr waits until no container is called name.
func waitNoCtr(t *testing.T, e *testutil.Engine, name string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if e.Run("inspect", "--format", "{{.Id}}", name).Code != 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("[%s] container %s still exists", e.Mode(), name)
}
