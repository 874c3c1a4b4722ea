package shim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/opencontainers/cgroups/devices" // device rules for cgroup v1 and v2, as runc enables them
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The contract with the monitor (internal/early, which defines the same
// names; a test checks they agree) and with engine.Start.
const (
	// ConsoleFD is the console socket (TTY) or /dev/null.
	ConsoleFD = 3
	// StatusFD is where Create writes "ok PID" or "err CODE MESSAGE".
	StatusFD = 4
	// EnvRestartCount is set for a restart by the monitor: no CLI will let
	// the process run, so Create does.
	EnvRestartCount = "_ENGINE_RESTART_COUNT"
	// FileSpec is the OCI spec in the run directory, written by engine.Start.
	FileSpec = "config.json"
	// FilePID receives the container's pid.
	FilePID = "pid"
	// envUsernsConfigured is set by the rootless setup (internal/early) in the
	// user's namespace, as podman's pkg/unshare does.
	envUsernsConfigured = "_CONTAINERS_USERNS_CONFIGURED"
)

// Create creates the container id from the spec in runDir and reports on
// StatusFD; it returns the process's exit code. fds: 0-2 the container's
// stdio, ConsoleFD, StatusFD. The container's init is left waiting on
// libcontainer's exec fifo (unless this is a restart) and is reparented to the
// monitor, a subreaper, when this process exits.
func Create(runDir, id string) int {
	// The container must not inherit the console socket or the status pipe.
	unix.CloseOnExec(ConsoleFD)
	unix.CloseOnExec(StatusFD)
	status := os.NewFile(StatusFD, "status")
	pid, err := create(runDir, id)
	if err != nil {
		code := ExitCode(err)
		fmt.Fprintf(status, "err %d %s\n", code, strings.ReplaceAll(err.Error(), "\n", " "))
		return code
	}
	fmt.Fprintf(status, "ok %d\n", pid)
	return 0
}

func create(runDir, id string) (int, error) {
	spec, err := readSpec(filepath.Join(runDir, FileSpec))
	if err != nil {
		return 0, err
	}
	lc, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: id, Spec: spec, RootlessCgroups: rootless(),
	})
	if err != nil {
		return 0, fmt.Errorf("container config: %w", err)
	}
	root := filepath.Join(runDir, "lc")
	if old, err := libcontainer.Load(root, id); err == nil {
		_ = old.Destroy() // left over from the previous run of a restarted container
	}
	ctr, err := libcontainer.Create(root, id, lc)
	if err != nil {
		return 0, fmt.Errorf("creating container: %w", err)
	}
	p, err := initProcess(spec.Process)
	if err != nil {
		_ = ctr.Destroy()
		return 0, err
	}
	// Start only: the init waits on libcontainer's exec fifo until the CLI (after it
	// attached) or the monitor (for a restart) opens it. Run would also wait for the
	// process here and could reap it before the monitor, its subreaper, can.
	if err := ctr.Start(p); err != nil {
		_ = ctr.Destroy()
		return 0, err
	}
	if os.Getenv(EnvRestartCount) != "" {
		// A restart by the monitor: no CLI is there to let the process run.
		if err := ctr.Exec(); err != nil {
			_ = ctr.Destroy()
			return 0, fmt.Errorf("starting the process: %w", err)
		}
	}
	pid, err := p.Pid()
	if err != nil {
		return 0, err
	}
	if err := writeFileAtomic(filepath.Join(runDir, FilePID), []byte(strconv.Itoa(pid))); err != nil {
		return 0, err
	}
	return pid, nil
}

func readSpec(path string) (*specs.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("parsing spec: %w", err)
	}
	if spec.Process == nil {
		return nil, fmt.Errorf("spec %s has no process", path)
	}
	return &spec, nil
}

// initProcess is the container's first process as libcontainer wants it.
func initProcess(sp *specs.Process) (*libcontainer.Process, error) {
	p := &libcontainer.Process{
		Args: sp.Args, Env: sp.Env, Cwd: sp.Cwd, Init: true,
		UID: int(sp.User.UID), GID: int(sp.User.GID),
	}
	for _, g := range sp.User.AdditionalGids {
		p.AdditionalGroups = append(p.AdditionalGroups, int(g))
	}
	var err error
	// specconv leaves rlimits out of the container config: they go on the process.
	if p.Rlimits, err = Rlimits(sp.Rlimits); err != nil {
		return nil, err
	}
	if sp.Terminal {
		p.ConsoleSocket = os.NewFile(ConsoleFD, "console")
	} else {
		p.Stdin, p.Stdout, p.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	return p, nil
}

// rootless is go.podman.io/storage/pkg/unshare.IsRootless without that
// package (and its C constructor): not root, or in the user's namespace.
func rootless() bool {
	return os.Geteuid() != 0 || os.Getenv(envUsernsConfigured) != ""
}

// ExitCode maps a failure to start the container's command to docker's codes:
// 127 not found, 126 cannot invoke, 125 anything else.
func ExitCode(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return 126
	}
	return 125
}

// writeFileAtomic writes b to a temporary file next to path and renames it.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
