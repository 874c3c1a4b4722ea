package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ExecOptions configure ExecProcess.
type ExecOptions struct {
	Cmd     []string
	Env     []string
	User    string
	WorkDir string
	TTY     bool
	Detach  bool
	Stdin   io.Reader // nil: /dev/null
	Stdout  io.Writer
	Stderr  io.Writer
	// Console receives the pty master of a TTY exec; the caller copies it.
	Console func(*os.File)
}

// ExecProcess runs a command in the running container, as a child of this process,
// and returns its exit code (0 at once with Detach).
func (c *Container) ExecProcess(o ExecOptions) (int, error) {
	if len(o.Cmd) == 0 {
		return 125, fmt.Errorf("exec needs a command: %w", ErrInvalidArg)
	}
	if o.Detach {
		// A detached process must not hold the caller's streams, or `exec -d ... | cat`
		// waits for it to end; it gets /dev/null, as under podman.
		o.Stdin, o.Stdout, o.Stderr = nil, nil, nil
	}
	st, err := c.State()
	if err != nil {
		return 125, err
	}
	if st.Status != StatusRunning {
		return 125, fmt.Errorf("can only create exec sessions on running containers: %s is %s: %w", c.Name, st.Status, ErrCtrStateInvalid)
	}
	spec, err := c.runningSpec()
	if err != nil {
		return 125, err
	}
	sp := spec.Process
	p := &libcontainer.Process{Args: o.Cmd, Env: append([]string{}, sp.Env...), Cwd: sp.Cwd,
		UID: int(sp.User.UID), GID: int(sp.User.GID), Init: false}
	for _, g := range sp.User.AdditionalGids {
		p.AdditionalGroups = append(p.AdditionalGroups, int(g)) // --group-add, the image's groups
	}
	if p.Rlimits, err = processRlimits(sp.Rlimits); err != nil {
		return 125, err
	}
	for _, kv := range o.Env {
		p.Env = setEnv(p.Env, kv)
	}
	if o.WorkDir != "" {
		p.Cwd = o.WorkDir
	}
	if o.User != "" {
		u, err := resolveUser(spec.Root.Path, o.User)
		if err != nil {
			return 125, err
		}
		p.UID, p.GID = u.Uid, u.Gid
		p.AdditionalGroups = nil // that user's groups, not the container user's
		for _, g := range u.Sgids {
			p.AdditionalGroups = append(p.AdditionalGroups, g)
		}
	}
	var consoleParent *os.File
	if o.TTY {
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 125, err
		}
		consoleParent = os.NewFile(uintptr(pair[0]), "console-parent")
		child := os.NewFile(uintptr(pair[1]), "console-child")
		defer consoleParent.Close()
		defer child.Close()
		p.ConsoleSocket = child
		p.Env = setEnv(p.Env, "TERM=xterm")
	} else {
		p.Stdin, p.Stdout, p.Stderr = o.Stdin, o.Stdout, o.Stderr
	}
	if path := c.r.shimPath(); path != "" {
		return c.execShim(path, p, sp.Rlimits, o, [2]*os.File{consoleParent, p.ConsoleSocket})
	}
	lc, err := c.libcontainer()
	if err != nil {
		return 125, err
	}
	if err := lc.Run(p); err != nil {
		return exitCodeFor(err), fmt.Errorf("exec in %s: %w", c.Name, err)
	}
	if o.TTY {
		master, err := utils.RecvFile(consoleParent)
		if err != nil {
			return 125, fmt.Errorf("exec in %s: receiving the terminal: %w", c.Name, err)
		}
		if o.Console != nil {
			o.Console(master)
		}
	}
	if o.Detach {
		return 0, nil
	}
	ps, err := p.Wait()
	if ps == nil {
		return 125, fmt.Errorf("exec in %s: %w", c.Name, err)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}

func (c *Container) runningSpec() (*specs.Spec, error) {
	run, err := c.RunDir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(run, fileSpec))
	if err != nil {
		return nil, fmt.Errorf("reading spec of %s: %w", c.Name, err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parsing spec of %s: %w", c.Name, err)
	}
	return &s, nil
}

// WaitRemoved waits (up to 30 s) until the container's monitor has exited, which is
// after its cleanup (for --rm, after the removal).
func (c *Container) WaitRemoved() {
	run, err := c.RunDir()
	if err != nil {
		return
	}
	mpid, _, err := readPidFile(filepath.Join(run, fileMonitorPid))
	if err != nil {
		return
	}
	waitFor(30*time.Second, 2*time.Millisecond, func() bool { return !alive(mpid) })
}
