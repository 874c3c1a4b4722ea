package early_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/early"
)

// The test binary links this package, so it is also a monitor (when started
// with _ENGINE_MONITOR), a rootless CLI (as a non-root user) and, through the
// modes below, a create helper with a terminal and a namespace reporter.
func TestMain(m *testing.M) {
	if os.Getenv("EARLY_TEST_REPORT") == "1" {
		report()
		os.Exit(0)
	}
	if len(os.Args) > 2 && os.Args[1] == "early-tty-helper" {
		ttyHelper(os.Args[2])
	}
	if len(os.Args) > 3 && os.Args[1] == "early-slow-helper" {
		slowHelper(os.Args[2], os.Args[3])
	}
	os.Exit(m.Run())
}

// ---- helpers ---------------------------------------------------------------

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

type monitor struct {
	t       *testing.T
	dir     string // test files (cleanup output, counters)
	runDir  string
	logPath string
	cmd     *exec.Cmd
	stderr  bytes.Buffer
	line    string        // the sync line
	done    chan struct{} // closed when the monitor has been waited for
	err     error         // its exit status, once done is closed
}

func newMonitorDirs(t *testing.T) *monitor {
	dir := t.TempDir()
	m := &monitor{t: t, dir: dir, runDir: filepath.Join(dir, "run"), logPath: filepath.Join(dir, "ctr.log")}
	if err := os.Mkdir(m.runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	return m
}

// start writes cfg (RunDir, LogPath and SyncFD filled in) and starts the test
// binary as a monitor; it returns once the sync line has been read.
func (m *monitor) start(cfg early.MonitorConfig) {
	t := m.t
	t.Helper()
	if cfg.RunDir == "" {
		cfg.RunDir = m.runDir
	}
	if cfg.LogPath == "" {
		cfg.LogPath = m.logPath
	}
	cfg.SyncFD = 3
	conf := filepath.Join(m.dir, "monitor.conf")
	if err := cfg.Write(conf); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m.cmd = exec.Command(self, "early-monitor", cfg.ID)
	m.cmd.Env = append(os.Environ(), early.EnvMonitor+"="+conf)
	m.cmd.ExtraFiles = []*os.File{w}
	m.cmd.Stderr = &m.stderr
	// A container process that outlives a killed monitor may hold stderr
	// open; Wait must not hang on it.
	m.cmd.WaitDelay = 2 * time.Second
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	m.done = make(chan struct{})
	go func() { m.err = m.cmd.Wait(); close(m.done) }()
	t.Cleanup(func() {
		select {
		case <-m.done:
		default:
			m.cmd.Process.Kill()
			<-m.done
		}
	})

	lineCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lineCh <- line
	}()
	select {
	case m.line = <-lineCh:
	case <-time.After(10 * time.Second):
		t.Fatalf("no sync line from the monitor; stderr: %s", m.stderr.String())
	}
}

// wait waits for the monitor to exit and returns its exit code: the container's
// (its last run's), as conmon's, which systemd's Restart=on-failure reads.
func (m *monitor) wait() int {
	m.t.Helper()
	select {
	case <-m.done:
		var ee *exec.ExitError
		if errors.As(m.err, &ee) && ee.Exited() {
			return ee.ExitCode()
		}
		if m.err != nil {
			m.t.Fatalf("monitor exited with %v; stderr: %s", m.err, m.stderr.String())
		}
	case <-time.After(20 * time.Second):
		m.t.Fatalf("monitor did not exit")
	}
	return 0
}

func (m *monitor) pid() int {
	pid, err := early.ParseSyncLine(m.line)
	if err != nil {
		m.t.Fatalf("sync line %q: %v", m.line, err)
	}
	return pid
}

func (m *monitor) exitCode() int {
	m.t.Helper()
	code, when, err := early.ReadExitFile(m.runDir)
	if err != nil {
		m.t.Fatal(err)
	}
	if d := time.Since(when); d < 0 || d > time.Minute {
		m.t.Errorf("exit time %v is not recent", when)
	}
	return code
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type logRecord struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

func readLog(t *testing.T, path string) []logRecord {
	t.Helper()
	var recs []logRecord
	for i, line := range strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n") {
		if line == "" {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %d %q: %v", i, line, err)
		}
		ts, err := time.Parse(time.RFC3339Nano, r.Time)
		if err != nil || !strings.HasSuffix(r.Time, "Z") || len(r.Time) != len("2006-01-02T15:04:05.000000000Z") {
			t.Fatalf("log line %d: bad time %q (%v)", i, r.Time, err)
		}
		if d := time.Since(ts); d < 0 || d > time.Minute {
			t.Errorf("log time %v is not recent", ts)
		}
		recs = append(recs, r)
	}
	return recs
}

func shArgs(script string) []string { return []string{"/bin/sh", "-c", script} }

// A cleanup helper that appends its last argument (the exit code) to a file.
func cleanupArgs(m *monitor) []string {
	return []string{"/bin/sh", "-c", `echo "$1" >> "$0"`, filepath.Join(m.dir, "cleanup.out")}
}

// ---- the monitor -------------------------------------------------------------

func TestMonitorRunLogExitCleanup(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	m.start(early.MonitorConfig{
		ID:          "basic",
		CreateArgs:  shArgs(`(echo hello; echo oops >&2; sleep 0.2; exit 3) & echo "ok $!" >&4`),
		CleanupArgs: cleanupArgs(m),
	})
	if !strings.HasPrefix(m.line, "ok ") {
		t.Fatalf("sync line %q, want ok <pid>", m.line)
	}
	m.pid()
	mpid := strings.TrimSpace(readFile(t, filepath.Join(m.runDir, early.FileMonitorPID)))
	if mpid != strconv.Itoa(m.cmd.Process.Pid) {
		t.Errorf("monitor.pid %q, monitor is %d", mpid, m.cmd.Process.Pid)
	}
	m.wait()

	if code := m.exitCode(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	if got := readFile(t, filepath.Join(m.dir, "cleanup.out")); got != "3\n" {
		t.Errorf("cleanup helper got %q, want 3", got)
	}
	recs := readLog(t, m.logPath)
	want := map[logRecord]bool{{Log: "hello\n", Stream: "stdout"}: false, {Log: "oops\n", Stream: "stderr"}: false}
	for _, r := range recs {
		k := logRecord{Log: r.Log, Stream: r.Stream}
		if _, ok := want[k]; ok {
			want[k] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("log lacks %+v; log: %+v", k, recs)
		}
	}
	if _, err := os.Stat(filepath.Join(m.runDir, early.FileAttach)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("attach socket left behind: %v", err)
	}
}

func TestMonitorLogEscapingAndPartialLines(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	m.start(early.MonitorConfig{
		ID: "escape",
		// A partial line, then (later, in another read) quotes, backslash,
		// tab, a control char and UTF-8.
		CreateArgs: shArgs(`(printf 'partial'; sleep 0.3; printf 'q"b\\c\t\001 h\303\251\n') & echo "ok $!" >&4`),
	})
	m.pid()
	m.wait()
	recs := readLog(t, m.logPath)
	var all string
	for _, r := range recs {
		all += r.Log
	}
	if want := "partialq\"b\\c\t\x01 h\u00e9\n"; all != want {
		t.Errorf("log content %q, want %q", all, want)
	}
	if len(recs) != 2 || recs[0].Log != "partial" {
		t.Errorf("records %+v, want the partial line as its own record", recs)
	}
	raw := readFile(t, m.logPath)
	if !strings.Contains(raw, `\u0001`) || !strings.Contains(raw, "h\u00e9") {
		t.Errorf("raw log %q: control char not \\u0001 or UTF-8 not kept as is", raw)
	}
}

func TestMonitorAttachStdin(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	// A run_dir longer than a unix socket path allows: the monitor binds
	// relative to its cwd, DialAttach goes through /proc/self/fd.
	m.runDir = filepath.Join(m.dir, strings.Repeat("d", 120))
	if err := os.Mkdir(m.runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	m.start(early.MonitorConfig{
		ID:          "attach",
		Stdin:       true,
		CreateArgs:  shArgs(`exec 5<&0; cat <&5 5<&- & echo "ok $!" >&4`),
		CleanupArgs: cleanupArgs(m),
	})
	m.pid()
	c1, err := early.DialAttach(m.runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := early.DialAttach(m.runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	// A client that shuts down its sending side still gets output.
	if err := c2.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	// Both are accepted before the monitor reads stdin: it handles accepts
	// and client packets in one loop, so give it a moment.
	time.Sleep(100 * time.Millisecond)

	if _, err := c1.Write(append([]byte{early.AttachStdin}, "ping\n"...)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*net.UnixConn{c1, c2} {
		got := readPackets(t, c, "ping\n")
		if got != "\x01ping\n" {
			t.Errorf("client got %q, want stdout packet ping", got)
		}
	}
	if _, err := c1.Write([]byte{early.AttachCloseStdin}); err != nil {
		t.Fatal(err)
	}
	// EOF on the socket: the container ended.
	c1.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 9000)
	if n, err := c1.Read(buf); err != nil || string(buf[:n]) != "\x040" {
		t.Errorf("after close stdin: read %q, %v; want the exit packet", buf[:n], err)
	}
	if n, err := c1.Read(buf); err != io.EOF {
		t.Errorf("after the exit packet: read %q, %v; want EOF", buf[:n], err)
	}
	m.wait()
	if code := m.exitCode(); code != 0 {
		t.Errorf("exit code %d, want 0 (cat at EOF)", code)
	}
	if got := readFile(t, filepath.Join(m.dir, "cleanup.out")); got != "0\n" {
		t.Errorf("cleanup helper got %q", got)
	}
	if recs := readLog(t, m.logPath); len(recs) != 1 || recs[0].Log != "ping\n" {
		t.Errorf("log %+v", recs)
	}
}

// readPackets concatenates packets (stream byte included) until the data
// contains want.
func readPackets(t *testing.T, c *net.UnixConn, want string) string {
	t.Helper()
	var all, data string
	buf := make([]byte, 1+early.AttachMaxData)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !strings.Contains(data, want) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read attach: %v (so far %q)", err, all)
		}
		all += string(buf[:n])
		data += string(buf[1:n])
	}
	return all
}

func TestMonitorCreateErrors(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name   string
		create []string
		line   string
		code   int
	}{
		{"helper reports", shArgs(`echo "err 127 not found" >&4; exit 1`), "err 127 not found\n", 127},
		{"helper dies silently", shArgs(`exit 5`), "err 125 create helper failed: exit status 5\n", 125},
		{"helper missing", []string{"/nonexistent/helper"}, "err 127 exec /nonexistent/helper: No such file or directory\n", 127},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitorDirs(t)
			m.start(early.MonitorConfig{ID: "err", CreateArgs: tc.create, CleanupArgs: cleanupArgs(m)})
			if m.line != tc.line {
				t.Errorf("sync line %q, want %q", m.line, tc.line)
			}
			_, err := early.ParseSyncLine(m.line)
			var ce *early.CreateError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Errorf("ParseSyncLine: %v, want code %d", err, tc.code)
			}
			m.wait()
			if code := m.exitCode(); code != tc.code {
				t.Errorf("exit file code %d, want %d", code, tc.code)
			}
			if got := readFile(t, filepath.Join(m.dir, "cleanup.out")); got != fmt.Sprintf("%d\n", tc.code) {
				t.Errorf("cleanup got %q", got)
			}
		})
	}
}

func TestMonitorBadConfigReportsOnSyncFD(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	// A run_dir that does not exist: the monitor cannot even chdir.
	m.start(early.MonitorConfig{ID: "bad", RunDir: filepath.Join(m.dir, "missing"), CreateArgs: shArgs("true")})
	if !strings.HasPrefix(m.line, "err 125 monitor: chdir run_dir: ") {
		t.Errorf("sync line %q", m.line)
	}
	select {
	case <-m.done:
		if ee, ok := m.err.(*exec.ExitError); !ok || ee.ExitCode() != 125 {
			t.Errorf("monitor exit: %v, want 125", m.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("monitor did not exit")
	}
}

// slowHelper is a create helper that, like a Go helper and unlike a shell,
// never reaps the container: it starts script and reports its pid only
// after delay, so a quick container has exited (a zombie) by then.
func slowHelper(delay, script string) {
	unix.CloseOnExec(3)
	unix.CloseOnExec(4)
	d, _ := time.ParseDuration(delay)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.NewFile(4, "status"), "err 125 slow helper: %v\n", err)
		os.Exit(1)
	}
	time.Sleep(d)
	fmt.Fprintf(os.NewFile(4, "status"), "ok %d\n", cmd.Process.Pid)
	os.Exit(0)
}

func TestMonitorRestartOnFailure(t *testing.T) {
	requireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := newMonitorDirs(t)
	runs := filepath.Join(m.dir, "runs")
	m.start(early.MonitorConfig{
		ID: "restart",
		// The container exits before its helper reports: the monitor must
		// still get its status (the zombie is reparented to it).
		CreateArgs:  []string{self, "early-slow-helper", "100ms", fmt.Sprintf(`echo "run$_ENGINE_RESTART_COUNT" >> %s; echo attempt; exit 1`, runs)},
		CleanupArgs: cleanupArgs(m),
		Restart:     early.RestartOnFailure,
		RestartMax:  2,
	})
	m.pid()
	m.wait()
	// The helper sees the restart count (none on the first run).
	if got := readFile(t, runs); got != "run\nrun1\nrun2\n" {
		t.Errorf("create helper runs %q, want run, run1, run2", got)
	}
	if got := readFile(t, filepath.Join(m.dir, "cleanup.out")); got != "1\n1\n1\n" {
		t.Errorf("cleanup runs %q, want three with code 1", got)
	}
	if got := readFile(t, filepath.Join(m.runDir, early.FileRestarts)); got != "2\n" {
		t.Errorf("restarts file %q", got)
	}
	if code := m.exitCode(); code != 1 {
		t.Errorf("exit code %d", code)
	}
	if n := strings.Count(readFile(t, m.logPath), "attempt"); n != 3 {
		t.Errorf("log has %d attempts, want 3", n)
	}
}

func TestMonitorRestartStoppedAndRunDirGone(t *testing.T) {
	requireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("stopped file", func(t *testing.T) {
		m := newMonitorDirs(t)
		runs := filepath.Join(m.dir, "runs")
		// A stale one from an earlier stop is removed when the monitor
		// starts; the helper creates it as the engine would before a stop.
		stopped := filepath.Join(m.runDir, early.FileStopped)
		if err := os.WriteFile(stopped, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		m.start(early.MonitorConfig{
			ID: "stopped",
			CreateArgs: []string{self, "early-slow-helper", "50ms",
				fmt.Sprintf(`echo run >> %s; ls %s > %s.ls; sleep 0.2; : > %s`, runs, m.runDir, runs, stopped)},
			Restart: early.RestartAlways,
		})
		m.pid()
		m.wait()
		if code := m.exitCode(); code != 0 {
			t.Errorf("exit code %d", code)
		}
		if got := readFile(t, runs); got != "run\n" {
			t.Errorf("ran %q, want once", got)
		}
		if ls := readFile(t, runs+".ls"); strings.Contains(ls, "stopped") || !strings.Contains(ls, "monitor.pid") {
			t.Errorf("run_dir at the start of the run: %q (a stale stopped file must be gone)", ls)
		}
	})
	t.Run("cleanup removes run_dir", func(t *testing.T) {
		m := newMonitorDirs(t)
		runs := filepath.Join(m.dir, "runs")
		m.start(early.MonitorConfig{
			ID:          "rm",
			CreateArgs:  []string{self, "early-slow-helper", "50ms", fmt.Sprintf(`echo run >> %s`, runs)},
			CleanupArgs: []string{"/bin/rm", "-rf", m.runDir},
			Restart:     early.RestartAlways,
		})
		m.pid()
		m.wait()
		if got := readFile(t, runs); got != "run\n" {
			t.Errorf("ran %q, want once", got)
		}
		if _, err := os.Stat(m.runDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run_dir: %v", err)
		}
	})
}

func TestMonitorLogRotation(t *testing.T) {
	requireRoot(t)
	for _, files := range []int{3, 1} {
		t.Run(fmt.Sprintf("max_files=%d", files), func(t *testing.T) {
			m := newMonitorDirs(t)
			const max = 300
			m.start(early.MonitorConfig{
				ID:          "rotate",
				CreateArgs:  shArgs(`(i=1; while [ $i -le 50 ]; do echo line-$i; i=$((i+1)); done) & echo "ok $!" >&4`),
				LogMaxSize:  max,
				LogMaxFiles: files,
			})
			m.wait()
			names := []string{m.logPath}
			for i := 1; i < files; i++ {
				names = append([]string{fmt.Sprintf("%s.%d", m.logPath, i)}, names...)
			}
			if _, err := os.Stat(fmt.Sprintf("%s.%d", m.logPath, files)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s.%d exists: more files than log_max_files", m.logPath, files)
			}
			// Oldest to newest, the lines must be consecutive and end with 50.
			var lines []string
			for _, n := range names {
				st, err := os.Stat(n)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() > max || st.Size() == 0 {
					t.Errorf("%s has %d bytes, want 1..%d", n, st.Size(), max)
				}
				for _, r := range readLog(t, n) {
					lines = append(lines, strings.TrimSpace(r.Log))
				}
			}
			if len(lines) == 0 || lines[len(lines)-1] != "line-50" {
				t.Fatalf("newest line is not line-50: %v", lines)
			}
			first, _ := strconv.Atoi(strings.TrimPrefix(lines[0], "line-"))
			for i, l := range lines {
				if l != fmt.Sprintf("line-%d", first+i) {
					t.Errorf("lines not consecutive: %v", lines)
					break
				}
			}
			if files > 1 && len(lines) <= 3 {
				t.Errorf("only %d lines kept across %d files", len(lines), files)
			}
		})
	}
}

func TestMonitorMemoryReapingSignals(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	// The container leaves an orphan that exits soon: the monitor (subreaper)
	// must reap it.
	m.start(early.MonitorConfig{
		ID:         "idle",
		CreateArgs: shArgs(`sh -c '(sleep 0.1 &); exec sleep 60' & echo "ok $!" >&4`),
	})
	ctr := m.pid()
	mon := m.cmd.Process.Pid
	time.Sleep(600 * time.Millisecond)

	// Ignored signals: the monitor must outlive them.
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		if err := syscall.Kill(mon, s); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	select {
	case <-m.done:
		t.Fatalf("monitor died of a signal it must ignore: %v", m.err)
	default:
	}

	rss, pss := smapsRollup(t, mon)
	t.Logf("monitor idle: Rss %d kB, Pss %d kB", rss, pss)
	if rss > 3*1024 {
		t.Errorf("monitor Rss %d kB > 3 MiB", rss)
	}
	if pss > 1536 {
		t.Errorf("monitor Pss %d kB > 1.5 MiB", pss)
	}

	children := strings.Fields(readFile(t, fmt.Sprintf("/proc/%d/task/%d/children", mon, mon)))
	if len(children) != 1 || children[0] != strconv.Itoa(ctr) {
		t.Errorf("monitor children %v, want only the container %d (orphans reaped)", children, ctr)
	}
	for fd := 0; fd < 3; fd++ {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", mon, fd)); l != "/dev/null" {
			t.Errorf("monitor fd %d -> %q, want /dev/null", fd, l)
		}
	}
	if comm := readFile(t, fmt.Sprintf("/proc/%d/comm", mon)); comm != "engine-monitor\n" {
		t.Errorf("comm %q", comm)
	}

	if err := syscall.Kill(ctr, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	m.wait()
	if code := m.exitCode(); code != 128+9 {
		t.Errorf("exit code %d, want 137", code)
	}
}

func smapsRollup(t *testing.T, pid int) (rss, pss int) {
	t.Helper()
	for _, l := range strings.Split(readFile(t, fmt.Sprintf("/proc/%d/smaps_rollup", pid)), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "Rss:":
			rss = v
		case "Pss:":
			pss = v
		}
	}
	if rss == 0 {
		t.Fatal("no Rss in smaps_rollup")
	}
	return rss, pss
}

// ttyHelper is a create helper in the image of libcontainer with a console
// socket: it makes a pty, sends the master over fd 3 (utils.SendFile's
// format), starts script on the slave as a session leader, reports its pid.
func ttyHelper(script string) {
	fail := func(err error) {
		fmt.Fprintf(os.NewFile(4, "status"), "err 125 tty helper: %v\n", err)
		os.Exit(1)
	}
	unix.CloseOnExec(3)
	unix.CloseOnExec(4)
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		fail(err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		fail(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		fail(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		fail(err)
	}
	if err := unix.Sendmsg(3, []byte(master.Name()), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		fail(err)
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.NewFile(4, "status"), "ok %d\n", cmd.Process.Pid)
	os.Exit(0)
}

func TestMonitorTTY(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no /dev/ptmx")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := newMonitorDirs(t)
	m.start(early.MonitorConfig{
		ID:         "tty",
		TTY:        true,
		Stdin:      true,
		CreateArgs: []string{self, "early-tty-helper", `read line; stty size; echo "got:$line"; exit 4`},
	})
	m.pid()
	c, err := early.DialAttach(m.runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(early.ResizePacket(33, 101)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(append([]byte{early.AttachStdin}, "hi\n"...)); err != nil {
		t.Fatal(err)
	}
	got := readPackets(t, c, "got:hi")
	for _, p := range []string{"33 101", "got:hi\r\n"} {
		if !strings.Contains(got, p) {
			t.Errorf("tty output %q lacks %q", got, p)
		}
	}
	if strings.Contains(got, "\x02") {
		t.Errorf("tty output has a stderr packet: %q", got)
	}
	m.wait()
	if code := m.exitCode(); code != 4 {
		t.Errorf("exit code %d, want 4", code)
	}
	var all string
	for _, r := range readLog(t, m.logPath) {
		if r.Stream != "stdout" {
			t.Errorf("tty log record on %q", r.Stream)
		}
		all += r.Log
	}
	if !strings.Contains(all, "got:hi") {
		t.Errorf("log %q lacks got:hi", all)
	}
}

func TestMonitorConfigWriteRejects(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []early.MonitorConfig{
		{RunDir: dir}, // no create args
		{RunDir: dir, CreateArgs: []string{"sh"}}, // relative argv[0]
		{RunDir: dir, CreateArgs: []string{"/bin/sh", "a\nb"}},
		{RunDir: dir, CreateArgs: []string{"/bin/sh"}, Restart: "sometimes"},
	} {
		if err := c.Write(filepath.Join(dir, "c")); err == nil {
			t.Errorf("Write(%+v) succeeded", c)
		}
	}
	c := early.MonitorConfig{ID: "x", RunDir: dir, CreateArgs: []string{"/bin/sh", "-c", "a=b"}, SyncFD: 3, TTY: true}
	if err := c.Write(filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
	want := "id=x\nrun_dir=" + dir + "\nlog_path=\nlog_max_size=0\nlog_max_files=1\ntty=1\nstdin=0\n" +
		"create_arg=/bin/sh\ncreate_arg=-c\ncreate_arg=a=b\nrestart=no\nrestart_max=0\nsync_fd=3\n"
	if got := readFile(t, filepath.Join(dir, "c")); got != want {
		t.Errorf("config:\n%s\nwant:\n%s", got, want)
	}
}

// ---- rootless ----------------------------------------------------------------

type nsReport struct {
	UID        int    `json:"uid"`
	UIDMap     string `json:"uid_map"`
	GIDMap     string `json:"gid_map"`
	UserNS     uint64 `json:"userns"`
	MntNS      uint64 `json:"mntns"`
	Cwd        string `json:"cwd"`
	RunDirGo   string `json:"rundir_go"`
	RunDirC    string `json:"rundir_c"`
	RootlessUI string `json:"rootless_uid"`
	InUserNS   bool   `json:"in_userns"`
}

func report() {
	ino := func(p string) uint64 {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return 0
		}
		return st.Ino
	}
	um, _ := os.ReadFile("/proc/self/uid_map")
	gm, _ := os.ReadFile("/proc/self/gid_map")
	cwd, _ := os.Getwd()
	json.NewEncoder(os.Stdout).Encode(nsReport{
		UID: os.Getuid(), UIDMap: string(um), GIDMap: string(gm),
		UserNS: ino("/proc/self/ns/user"), MntNS: ino("/proc/self/ns/mnt"), Cwd: cwd,
		RunDirGo: os.Getenv(early.EnvRootlessRunDir), RunDirC: early.RootlessRunDir(),
		RootlessUI: os.Getenv("_CONTAINERS_ROOTLESS_UID"), InUserNS: early.InUserNamespace(),
	})
}

// ensureUser creates a user without automatic subordinate ranges and gives it
// the ranges asked for (none when start is 0).
func ensureUser(t *testing.T, name string, start int) *user.User {
	t.Helper()
	if _, err := user.Lookup(name); err != nil {
		out, err := exec.Command("useradd", "-m", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name).CombinedOutput()
		if err != nil {
			t.Skipf("useradd %s: %v: %s", name, err, out)
		}
	}
	if start > 0 {
		line := fmt.Sprintf("%s:%d:65536", name, start)
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			b, _ := os.ReadFile(f)
			if !strings.Contains("\n"+string(b), "\n"+line+"\n") {
				r := fmt.Sprintf("%d-%d", start, start+65535)
				flag := "--add-subuids"
				if f == "/etc/subgid" {
					flag = "--add-subgids"
				}
				if out, err := exec.Command("usermod", flag, r, name).CombinedOutput(); err != nil {
					t.Fatalf("usermod %s %s: %v: %s", flag, r, err, out)
				}
			}
		}
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type rootlessUser struct {
	t        *testing.T
	u        *user.User
	uid, gid int
	bin      string
	runDir   string
	work     string
}

// setupRootlessUser copies the test binary where the user can run it and
// makes an XDG_RUNTIME_DIR and a working directory owned by the user.
func setupRootlessUser(t *testing.T, name string, start int) *rootlessUser {
	u := ensureUser(t, name, start)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	base, err := os.MkdirTemp("", "early-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	ru := &rootlessUser{t: t, u: u, uid: uid, gid: gid, bin: filepath.Join(base, "early.test"),
		runDir: filepath.Join(base, "run"), work: filepath.Join(base, "work")}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(ru.runDir, "engine", "pause.pid")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		os.RemoveAll(base)
	})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ru.bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{ru.runDir, ru.work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return ru
}

func (ru *rootlessUser) run(args ...string) nsReport {
	t := ru.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ru.bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + ru.u.HomeDir, "XDG_RUNTIME_DIR=" + ru.runDir, "EARLY_TEST_REPORT=1"}
	cmd.Dir = ru.work
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(ru.uid), Gid: uint32(ru.gid)}}
	// If the pause process kept our stdout pipe, Output would wait for it.
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v as %s: %v; stderr: %s", ru.bin, args, ru.u.Username, err, stderr.String())
	}
	var r nsReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	return r
}

func (ru *rootlessUser) pausePID() int {
	b, err := os.ReadFile(filepath.Join(ru.runDir, "engine", "pause.pid"))
	if err != nil {
		ru.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		ru.t.Fatal(err)
	}
	return pid
}

func hasMapLine(m string, inner, outer, count int) bool {
	for _, l := range strings.Split(m, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == strconv.Itoa(inner) && f[1] == strconv.Itoa(outer) && f[2] == strconv.Itoa(count) {
			return true
		}
	}
	return false
}

func TestRootlessPauseProcess(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	// Two users at once: one with subordinate ranges (newuidmap), one
	// without (single-id map written directly).
	users := []*rootlessUser{
		setupRootlessUser(t, "enginetest2", 400000),
		setupRootlessUser(t, "enginetest3", 0),
	}

	// First calls concurrently, none with a pause process yet: the lock
	// must make them all end up in one namespace per user.
	reports := make([][]nsReport, len(users))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, ru := range users {
		for k := 0; k < 3; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := ru.run("early-report", strconv.Itoa(k))
				mu.Lock()
				reports[i] = append(reports[i], r)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	for i, ru := range users {
		first := reports[i][0]
		again := ru.run("early-report")
		for _, r := range append(reports[i], again) {
			if r.UID != 0 {
				t.Errorf("%s: uid %d in the namespace, want 0", ru.u.Username, r.UID)
			}
			if r.UserNS != first.UserNS || r.MntNS != first.MntNS {
				t.Errorf("%s: namespaces differ between calls: %+v vs %+v", ru.u.Username, r, first)
			}
			if r.Cwd != ru.work {
				t.Errorf("%s: cwd %q, want %q", ru.u.Username, r.Cwd, ru.work)
			}
			if r.RunDirGo != ru.runDir || r.RunDirC != ru.runDir {
				t.Errorf("%s: run dir Go %q C %q, want %q", ru.u.Username, r.RunDirGo, r.RunDirC, ru.runDir)
			}
			if r.RootlessUI != strconv.Itoa(ru.uid) || !r.InUserNS {
				t.Errorf("%s: rootless uid %q, in userns %v", ru.u.Username, r.RootlessUI, r.InUserNS)
			}
		}
		if !hasMapLine(first.UIDMap, 0, ru.uid, 1) || !hasMapLine(first.GIDMap, 0, ru.gid, 1) {
			t.Errorf("%s: maps lack 0 -> own id: %q %q", ru.u.Username, first.UIDMap, first.GIDMap)
		}
		withRanges := ru.u.Username == "enginetest2"
		if got := hasMapLine(first.UIDMap, 1, 400000, 65536); got != withRanges {
			t.Errorf("%s: uid_map %q: subuid range present=%v, want %v", ru.u.Username, first.UIDMap, got, withRanges)
		}
		if got := hasMapLine(first.GIDMap, 1, 400000, 65536); got != withRanges {
			t.Errorf("%s: gid_map %q: subgid range present=%v, want %v", ru.u.Username, first.GIDMap, got, withRanges)
		}

		// Not rootless for version.
		v := ru.run("version")
		if v.UID != ru.uid || v.UserNS == first.UserNS || v.InUserNS {
			t.Errorf("%s: version ran as uid %d in userns %d (namespace %d), want untouched", ru.u.Username, v.UID, v.UserNS, first.UserNS)
		}

		// The pause process: one, ours, detached, no fds.
		pid := ru.pausePID()
		if comm := readFile(t, fmt.Sprintf("/proc/%d/comm", pid)); comm != "engine-pause\n" {
			t.Errorf("pause comm %q", comm)
		}
		if cl := strings.TrimRight(readFile(t, fmt.Sprintf("/proc/%d/cmdline", pid)), "\x00"); cl != "engine-pause" {
			t.Errorf("pause cmdline %q", cl)
		}
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err != nil || len(fds) != 0 {
			t.Errorf("pause process holds %d fds (%v)", len(fds), err)
		}
		if sid, err := unix.Getsid(pid); err != nil || sid != pid {
			t.Errorf("pause process session %d (%v), want its own", sid, err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/user", pid), &st); err != nil || st.Ino != first.UserNS {
			t.Errorf("pause userns %d, callers %d (%v)", st.Ino, first.UserNS, err)
		}
	}
	if reports[0][0].UserNS == reports[1][0].UserNS {
		t.Errorf("two users share a user namespace")
	}

	// A stale pause.pid (process gone) is replaced by a new pause process.
	ru := users[0]
	old := ru.pausePID()
	syscall.Kill(old, syscall.SIGKILL)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", old)); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := ru.run("early-report")
	if r.UID != 0 || r.UserNS == reports[0][0].UserNS || ru.pausePID() == old {
		t.Errorf("after the pause process died: %+v, pause %d (old %d)", r, ru.pausePID(), old)
	}
}

// A client that stops reading for a while loses nothing: the monitor holds
// the container's output back (the log included) until the client catches
// up, well within the stall limit.
func TestMonitorAttachBackpressure(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	const total = 4 << 20
	m.start(early.MonitorConfig{
		ID:         "slowclient",
		Stdin:      true,
		CreateArgs: shArgs(fmt.Sprintf(`exec 5<&0; (read go <&5; head -c %d /dev/zero | tr '\0' x) & echo "ok $!" >&4`, total)),
	})
	m.pid()
	c, err := early.DialAttach(m.runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Write(append([]byte{early.AttachStdin}, "go\n"...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // not reading: the socket fills up
	got := 0
	buf := make([]byte, 1+early.AttachMaxData)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, err := c.Read(buf)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if buf[0] == early.AttachExit {
			continue
		}
		if buf[0] != early.AttachStdout || n > 1+early.AttachMaxData {
			t.Fatalf("packet stream %d size %d: %q", buf[0], n, buf[1:n])
		}
		got += n - 1
	}
	if got != total {
		t.Errorf("client got %d bytes, want %d", got, total)
	}
	m.wait()
	logged := 0
	for _, r := range readLog(t, m.logPath) {
		logged += len(r.Log)
		if strings.Trim(r.Log, "x") != "" {
			t.Errorf("unexpected log record %+v", r)
		}
	}
	if logged != total {
		t.Errorf("log has %d bytes, want %d", logged, total)
	}
}

// Stdin larger than a pipe buffer, in packets larger than AttachMaxData,
// while output flows back: no deadlock, nothing lost.
func TestMonitorAttachLargeStdin(t *testing.T) {
	requireRoot(t)
	m := newMonitorDirs(t)
	m.start(early.MonitorConfig{
		ID:         "bigstdin",
		Stdin:      true,
		CreateArgs: shArgs(`exec 5<&0; cat <&5 5<&- & echo "ok $!" >&4`),
	})
	m.pid()
	c, err := early.DialAttach(m.runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const total = 1 << 20
	go func() {
		// Packets bigger than AttachMaxData must not be truncated either.
		const size = 4 * early.AttachMaxData
		chunk := append([]byte{early.AttachStdin}, bytes.Repeat([]byte("y"), size)...)
		for sent := 0; sent < total; sent += size {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		c.Write([]byte{early.AttachCloseStdin})
	}()
	got := 0
	buf := make([]byte, 1+early.AttachMaxData)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, err := c.Read(buf)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if buf[0] != early.AttachExit {
			got += n - 1
		}
	}
	if got != total {
		t.Errorf("echoed %d bytes, want %d", got, total)
	}
	m.wait()
	if code := m.exitCode(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// A client that takes the cleanup over (AttachCleanup) gets the exit code, the
// monitor waits for it to close and then skips its own cleanup when the client
// wrote FileCleaned; a client that goes away without doing so leaves the
// cleanup to the monitor.
func TestMonitorClientCleanup(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name        string
		markCleaned bool
		wantCleanup string
	}{
		{"client cleaned", true, ""},
		{"client gave up", false, "5\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitorDirs(t)
			go_ := filepath.Join(m.dir, "go")
			m.start(early.MonitorConfig{
				ID: "cleanup",
				// The process waits for a file, so the client is attached first.
				CreateArgs:  shArgs(`(while [ ! -e "` + go_ + `" ]; do sleep 0.01; done; echo bye; exit 5) & echo "ok $!" >&4`),
				CleanupArgs: cleanupArgs(m),
			})
			m.pid()
			c, err := early.DialAttach(m.runDir)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte{early.AttachCleanup}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(go_, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			got := readPackets(t, c, "bye\n5")
			if !strings.HasSuffix(got, "\x045") || !strings.Contains(got, "bye\n") {
				t.Fatalf("packets %q: want output then the exit packet", got)
			}
			// The monitor must wait for this client now.
			select {
			case <-m.done:
				t.Fatal("monitor exited while the cleaning client was still attached")
			case <-time.After(300 * time.Millisecond):
			}
			if tc.markCleaned {
				if err := os.WriteFile(filepath.Join(m.runDir, early.FileCleaned), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c.Close()
			if code := m.wait(); code != 5 {
				t.Errorf("monitor exited %d, want the container's 5", code)
			}
			out, _ := os.ReadFile(filepath.Join(m.dir, "cleanup.out"))
			if string(out) != tc.wantCleanup {
				t.Errorf("cleanup helper ran with %q, want %q", out, tc.wantCleanup)
			}
		})
	}
}
