package shim

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// File descriptors of `engine-shim exec` (besides 0-2, the process's stdio
// unless it has a terminal).
const (
	// ExecRequestFD is a pipe carrying one JSON ExecRequest.
	ExecRequestFD = 3
	// ExecConsoleFD is the console socket of a TTY exec (closed otherwise).
	ExecConsoleFD = 4
	// ExecStatusFD gets "ok PID" once the process runs or "err CODE MESSAGE".
	ExecStatusFD = 5
)

// ExecRequest is a process engine exec runs in a running container: the
// fields of libcontainer.Process it sets.
type ExecRequest struct {
	Root             string // libcontainer's state root (RUNDIR/lc)
	ID               string
	Args             []string
	Env              []string
	Cwd              string
	UID, GID         int
	AdditionalGroups []int
	Rlimits          []specs.POSIXRlimit
	TTY              bool
	Detach           bool // report and exit; do not wait for the process
}

// Exec runs the process an ExecRequest describes and returns this program's
// exit code: after "ok" the process's own (128+N for a signal), else 125-127
// with the reason on ExecStatusFD. It replaces libcontainer in the CLI, whose
// process would re-execute the whole engine binary as the exec's init.
func Exec() int {
	for _, fd := range []int{ExecRequestFD, ExecConsoleFD, ExecStatusFD} {
		unix.CloseOnExec(fd)
	}
	status := os.NewFile(ExecStatusFD, "status")
	p, detach, err := startExec()
	if err != nil {
		code := ExitCode(err)
		fmt.Fprintf(status, "err %d %s\n", code, strings.ReplaceAll(err.Error(), "\n", " "))
		return code
	}
	pid, _ := p.Pid()
	fmt.Fprintf(status, "ok %d\n", pid)
	status.Close()
	if p.ConsoleSocket != nil {
		p.ConsoleSocket.Close()
	}
	if detach {
		return 0
	}
	return waitExec(p)
}

func startExec() (*libcontainer.Process, bool, error) {
	var req ExecRequest
	in := os.NewFile(ExecRequestFD, "request")
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return nil, false, fmt.Errorf("reading the exec request: %w", err)
	}
	in.Close()
	lc, err := libcontainer.Load(req.Root, req.ID)
	if err != nil {
		return nil, false, fmt.Errorf("container %s: %w", req.ID, err)
	}
	p := &libcontainer.Process{
		Args: req.Args, Env: req.Env, Cwd: req.Cwd, UID: req.UID, GID: req.GID,
		AdditionalGroups: req.AdditionalGroups, Init: false,
	}
	if p.Rlimits, err = Rlimits(req.Rlimits); err != nil {
		return nil, false, err
	}
	if req.TTY {
		p.ConsoleSocket = os.NewFile(ExecConsoleFD, "console")
	} else {
		p.Stdin, p.Stdout, p.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	if err := lc.Run(p); err != nil {
		return nil, false, err
	}
	return p, req.Detach, nil
}

func waitExec(p *libcontainer.Process) int {
	ps, err := p.Wait()
	if ps == nil {
		fmt.Fprintf(os.Stderr, "engine-shim: waiting for the process: %v\n", err)
		return 125
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
