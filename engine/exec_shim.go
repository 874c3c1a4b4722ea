package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/engine-dev/engine/internal/early"
	"github.com/engine-dev/engine/internal/shim"
	"github.com/engine-dev/engine/internal/shim/shimbin"
)

// shimPath is the embedded shim on disk, or "" when this binary has none or
// neither the run root (tmpfs, preferred) nor the graph root can hold an
// executable (a noexec mount).
func (r *Runtime) shimPath() string {
	var err error
	for _, dir := range []string{filepath.Join(r.paths.RunRoot, "engine"), filepath.Join(r.paths.GraphRoot, "engine", "shim")} {
		var p string
		if p, err = shimbin.Path(dir); err == nil {
			return p
		}
		if errors.Is(err, shimbin.ErrNotEmbedded) {
			return ""
		}
	}
	logrus.Debugf("engine-shim: %v; using %s itself", err, r.exe)
	return ""
}

// execShim runs p through `engine-shim exec` instead of libcontainer in this
// process: libcontainer would run this whole binary again as the exec's init,
// paying the image stack's package init; the shim links libcontainer only.
// console is the TTY's socket pair (nil without a TTY). The shim's exit code is
// the process's once it reported ok.
func (c *Container) execShim(path string, p *libcontainer.Process, rl []specs.POSIXRlimit, o ExecOptions, console [2]*os.File) (int, error) {
	run, err := c.RunDir()
	if err != nil {
		return 125, err
	}
	req := shim.ExecRequest{
		Root: filepath.Join(run, "lc"), ID: c.ID, Args: p.Args, Env: p.Env, Cwd: p.Cwd,
		UID: p.UID, GID: p.GID, AdditionalGroups: p.AdditionalGroups, Rlimits: rl,
		TTY: o.TTY, Detach: o.Detach,
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return 125, err
	}
	defer reqR.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		reqW.Close()
		return 125, err
	}
	defer statusR.Close()
	cmd := exec.Command(path, "exec")
	cmd.ExtraFiles = []*os.File{reqR, console[1], statusW}
	if !o.TTY {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	}
	err = cmd.Start()
	statusW.Close()
	if console[1] != nil {
		console[1].Close()
	}
	if err != nil {
		reqW.Close()
		return 125, fmt.Errorf("exec in %s: starting %s: %w", c.Name, path, err)
	}
	err = json.NewEncoder(reqW).Encode(req) // far below a pipe's buffer
	reqW.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 125, fmt.Errorf("exec in %s: %w", c.Name, err)
	}
	if _, err := readExecStatus(statusR); err != nil {
		_ = cmd.Wait()
		var ce *early.CreateError
		if errors.As(err, &ce) {
			return ce.Code, fmt.Errorf("exec in %s: %s", c.Name, ce.Msg)
		}
		return 125, fmt.Errorf("exec in %s: %w", c.Name, err)
	}
	if o.TTY {
		master, err := utils.RecvFile(console[0])
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return 125, fmt.Errorf("exec in %s: receiving the terminal: %w", c.Name, err)
		}
		if o.Console != nil {
			o.Console(master)
		}
	}
	return shimExitCode(cmd.Wait())
}

// readExecStatus reads the shim's "ok PID" or "err CODE MSG" line (the
// monitor's sync line format).
func readExecStatus(r *os.File) (int, error) {
	line, _ := bufio.NewReader(r).ReadString('\n')
	if line == "" {
		return 0, errors.New("engine-shim exited without a report")
	}
	return early.ParseSyncLine(line)
}

func shimExitCode(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 125, err
}
