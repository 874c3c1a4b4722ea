package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CommandTimeout bounds every engine invocation, so a hang fails one test instead of
// the whole run.
var CommandTimeout = 2 * time.Minute

// Engine runs the engine binary as root or as the rootless test user against a
// per-test store.
type Engine struct {
	Bin     string
	Root    string // --root
	RunRoot string // --runroot
	User    *UserInfo
	// Env is the complete environment of every invocation; tests may append to it.
	Env []string

	Home       string // $HOME, per test
	RuntimeDir string // $XDG_RUNTIME_DIR, per test
	Base       string // the per-test directory holding all of the above

	t       testing.TB
	rawUsed bool // RunRaw touched the default store: clean it up too
}

// Rootless tells whether the engine runs as the test user.
func (e *Engine) Rootless() bool { return e.User != nil }

// Mode is "root" or "rootless", for messages and subtest names.
func (e *Engine) Mode() string {
	if e.Rootless() {
		return "rootless"
	}
	return "root"
}

// Result is the outcome of one engine invocation.
type Result struct {
	Cmd    string // the command line, for messages
	Stdout string
	Stderr string
	Code   int // exit code; -1 when the process was killed (timeout) or not started
}

// String describes the result for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("%s\nexit code: %d\nstdout: %q\nstderr: %q", r.Cmd, r.Code, r.Stdout, r.Stderr)
}

// NewEngine returns an engine for this test with its own root, runroot, HOME and
// XDG_RUNTIME_DIR under a fresh directory. With user nil the engine runs as root
// (and the test is skipped unless the test process is root); otherwise it runs as
// user, which owns the per-test directories. On cleanup it removes the images with
// the engine itself, reports mounts or processes left behind, and removes the
// directories.
func NewEngine(t testing.TB, user *UserInfo) *Engine {
	t.Helper()
	RequireRoot(t)
	bin := Binary(t)
	base := SharedDir(t)
	e := &Engine{
		Bin:        bin,
		Base:       base,
		Root:       filepath.Join(base, "root"),
		RunRoot:    filepath.Join(base, "runroot"),
		Home:       filepath.Join(base, "home"),
		RuntimeDir: filepath.Join(base, "xdg-run"),
		User:       user,
		t:          t,
	}
	for _, d := range []string{e.Root, e.RunRoot, e.Home, e.RuntimeDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if user != nil {
			if err := os.Chown(d, int(user.UID), int(user.GID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	name := "root"
	if user != nil {
		name = user.Name
		if err := accessibleBy(bin, user); err != nil {
			t.Fatalf("engine binary %s cannot be run by %s: %v", bin, user.Name, err)
		}
	}
	e.Env = []string{
		"HOME=" + e.Home,
		"USER=" + name,
		"LOGNAME=" + name,
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"XDG_RUNTIME_DIR=" + e.RuntimeDir,
		"XDG_DATA_HOME=" + filepath.Join(e.Home, ".local", "share"),
		"XDG_CONFIG_HOME=" + filepath.Join(e.Home, ".config"),
	}
	if v, ok := os.LookupEnv("GOCOVERDIR"); ok {
		e.Env = append(e.Env, "GOCOVERDIR="+v)
	}
	t.Cleanup(e.cleanup)
	return e
}

// Run runs the engine with --root and --runroot and the given arguments.
func (e *Engine) Run(args ...string) Result {
	return e.RunStdin(nil, args...)
}

// RunStdin is Run with stdin connected to r.
func (e *Engine) RunStdin(stdin io.Reader, args ...string) Result {
	full := append([]string{"--root", e.Root, "--runroot", e.RunRoot}, args...)
	res := e.exec(stdin, full)
	res.Cmd = e.cmdline(args)
	return res
}

// RunRaw runs the engine without --root and --runroot, so that it picks its default
// store: for tests of those defaults. As root that is the host's real store, so
// RunRaw refuses to run as root.
func (e *Engine) RunRaw(args ...string) Result {
	if !e.Rootless() {
		e.t.Fatalf("RunRaw as root would use the host's store: %v", args)
	}
	e.rawUsed = true
	res := e.exec(nil, args)
	res.Cmd = e.cmdline(args) + " (default store)"
	return res
}

func (e *Engine) exec(stdin io.Reader, full []string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Bin, full...)
	cmd.Env = e.Env
	cmd.Dir = e.Home
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Own process group, so that a timeout also kills the user-namespace child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if e.User != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{
			Uid: e.User.UID, Gid: e.User.GID, Groups: e.User.Groups,
		}
	}
	var res Result
	err := cmd.Run()
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.Code = exitErr.ExitCode()
	default:
		res.Code = -1
		if ctx.Err() != nil {
			err = fmt.Errorf("killed after %v: %w", CommandTimeout, err)
		}
		res.Stderr += fmt.Sprintf("\n[testutil: %v]", err)
	}
	return res
}

// Must runs the engine and fails the test unless it exits 0; it returns stdout with
// surrounding white space trimmed.
func (e *Engine) Must(t testing.TB, args ...string) string {
	t.Helper()
	res := e.Run(args...)
	if res.Code != 0 {
		t.Fatalf("[%s] %s: exit code %d, want 0\nstderr: %s", e.Mode(), res.Cmd, res.Code, strings.TrimSpace(res.Stderr))
	}
	return strings.TrimSpace(res.Stdout)
}

// MustStdin is Must with stdin.
func (e *Engine) MustStdin(t testing.TB, stdin io.Reader, args ...string) string {
	t.Helper()
	res := e.RunStdin(stdin, args...)
	if res.Code != 0 {
		t.Fatalf("[%s] %s: exit code %d, want 0\nstderr: %s", e.Mode(), res.Cmd, res.Code, strings.TrimSpace(res.Stderr))
	}
	return strings.TrimSpace(res.Stdout)
}

func (e *Engine) cmdline(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"{}$*?|&;<>()[]\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		quoted[i] = a
	}
	return "engine " + strings.Join(quoted, " ")
}

// cleanup removes the store, reporting what the engine left behind.
func (e *Engine) cleanup() {
	t := e.t
	// The engine's own means first: removing every image unmounts and deletes layers
	// the way users would. A failure here is not this test's concern (the command may
	// not exist yet); what is left behind is.
	e.Run("rmi", "-a", "-f")
	if e.rawUsed {
		e.RunRaw("rmi", "-a", "-f")
	}
	if e.Rootless() {
		e.stopPause()
	}
	if procs := processesMentioning(e.Base); len(procs) > 0 {
		t.Errorf("[%s] engine processes still running after the test: %s", e.Mode(), strings.Join(procs, "; "))
		for _, p := range procs {
			var pid int
			if _, err := fmt.Sscanf(p, "%d", &pid); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	// Rootless mounts live in user namespaces that die with each process: any mount
	// still in the host's table under the store (or a default store under the per-test
	// HOME and XDG_RUNTIME_DIR) is a leak in both modes.
	leaked, err := MountsUnder(e.Base)
	if err != nil {
		t.Errorf("reading mount table: %v", err)
	}
	if len(leaked) > 0 {
		t.Errorf("[%s] mounts left under the store after the test:\n  %s", e.Mode(), strings.Join(leaked, "\n  "))
		unmountAll(leaked)
	}
	// A rootless store holds files owned by subordinate ids: removed here as root
	// (SharedDir's cleanup) after everything is unmounted.
}

// PauseComm is the name (comm) of the engine's per-user pause process, which holds
// a rootless user's user and mount namespaces between invocations (see
// internal/early). Its pid is in $XDG_RUNTIME_DIR/engine/pause.pid.
const PauseComm = "engine-pause"

// stopPause ends the test's rootless pause process, if any: it is expected to
// outlive each command but not the test's XDG_RUNTIME_DIR.
func (e *Engine) stopPause() {
	data, err := os.ReadFile(filepath.Join(e.RuntimeDir, "engine", "pause.pid"))
	if err != nil {
		return
	}
	var pid int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(data)), "%d", &pid); err != nil || pid <= 1 {
		return
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != PauseComm {
		return // gone already, or the pid was reused
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if !alive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Errorf("[%s] pause process %d ignored SIGTERM for 2s; killing it", e.Mode(), pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// alive tells whether pid exists and is not a zombie waiting for its parent.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// processesMentioning lists "PID cmdline" of processes whose command line contains s.
func processesMentioning(s string) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := fmt.Sprint(os.Getpid())
	var out []string
	for _, ent := range entries {
		name := ent.Name()
		if name[0] < '0' || name[0] > '9' || name == self {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", name, "cmdline"))
		if err != nil || !bytes.Contains(data, []byte(s)) {
			continue
		}
		if pid, err := strconv.Atoi(name); err == nil && !alive(pid) {
			continue
		}
		out = append(out, name+" "+strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " ")))
	}
	return out
}

// accessibleBy checks that user can reach and execute path through its parents'
// "other" permission bits (the user owns none of them).
func accessibleBy(path string, user *UserInfo) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o001 == 0 {
		return fmt.Errorf("%s is mode %v", path, st.Mode().Perm())
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("directory %s is mode %v (others cannot traverse it)", dir, st.Mode().Perm())
		}
		if dir == "/" {
			return nil
		}
	}
}
