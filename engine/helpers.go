package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/opencontainers/cgroups/devices" // device rules for cgroup v1 and v2, as runc enables them
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/unshare"
	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/early"
)

// CreateHelper is the monitor's child that creates the container through
// libcontainer and exits; the container's init is then reparented to the monitor,
// which is a subreaper. fds: 0-2 the container's stdio, 3 the console socket (tty),
// 4 the status pipe, where it writes "ok PID" or "err CODE MESSAGE". It opens no store:
// everything it needs is in runDir, written by Start.
func CreateHelper(runDir, id string) int {
	// The container must not inherit the console socket or the status pipe.
	unix.CloseOnExec(early.HelperConsoleFD)
	unix.CloseOnExec(early.HelperStatusFD)
	status := os.NewFile(early.HelperStatusFD, "status")
	pid, err := createContainer(runDir, id)
	if err != nil {
		code := exitCodeFor(err)
		fmt.Fprintf(status, "err %d %s\n", code, oneLine(err))
		return code
	}
	fmt.Fprintf(status, "ok %d\n", pid)
	return 0
}

func createContainer(runDir, id string) (int, error) {
	b, err := os.ReadFile(filepath.Join(runDir, fileSpec))
	if err != nil {
		return 0, fmt.Errorf("reading spec: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return 0, fmt.Errorf("parsing spec: %w", err)
	}
	lc, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: id, Spec: &spec, RootlessCgroups: unshare.IsRootless(),
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
	sp := spec.Process
	p := &libcontainer.Process{
		Args: sp.Args, Env: sp.Env, Cwd: sp.Cwd, Init: true,
		UID: int(sp.User.UID), GID: int(sp.User.GID),
	}
	for _, g := range sp.User.AdditionalGids {
		p.AdditionalGroups = append(p.AdditionalGroups, int(g))
	}
	// specconv leaves rlimits out of the container config: they go on the process.
	if p.Rlimits, err = processRlimits(sp.Rlimits); err != nil {
		return 0, err
	}
	if sp.Terminal {
		p.ConsoleSocket = os.NewFile(early.HelperConsoleFD, "console")
	} else {
		p.Stdin, p.Stdout, p.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	// Start only: the init waits on libcontainer's exec fifo until the CLI (after it
	// attached) or the monitor (for a restart) opens it. Run would also wait for the
	// process here and could reap it before the monitor, its subreaper, can.
	if err := ctr.Start(p); err != nil {
		_ = ctr.Destroy()
		return 0, err
	}
	if os.Getenv(early.EnvRestartCount) != "" {
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
	if err := writeFileAtomic(filepath.Join(runDir, filePid), []byte(strconv.Itoa(pid)), 0o600); err != nil {
		return 0, err
	}
	return pid, nil
}

// exitCodeFor maps a failure to start the container's command to docker's codes.
func exitCodeFor(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return 126
	}
	return 125
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// Cleanup runs after the container's process exited with code (the monitor's
// cleanup helper): it releases what the run held and removes the container for
// --rm. When the monitor is going to restart the container it keeps everything.
func (r *Runtime) Cleanup(id string, code int) error {
	c, err := r.Lookup(id)
	if err != nil {
		if errors.Is(err, ErrNoSuchContainer) {
			return nil // removed already (rm -f, or a --rm race)
		}
		return err
	}
	return c.CleanupAfterExit(code)
}

// CleanupAfterExit is Cleanup for a container at hand: a foreground run does it
// itself, with the store open already, instead of the monitor's helper.
func (c *Container) CleanupAfterExit(code int) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := c.State()
	if err != nil {
		return err
	}
	if st.Running() || c.willRestart(code) {
		return nil // restarted meanwhile, or about to be
	}
	if err := c.cleanupLocked(st); err != nil {
		return err
	}
	if c.Config.Remove {
		return c.removeLocked(true) // --rm takes the anonymous volumes along, as docker
	}
	if run, err := c.RunDir(); err == nil {
		_ = os.WriteFile(filepath.Join(run, early.FileCleaned), nil, 0o600)
	}
	return nil
}

// willRestart tells whether the monitor restarts the container after an exit
// with code: the same rule as its should_restart (internal/early). A stop that
// comes after this answer leaves the rootfs mounted until the next start or rm.
func (c *Container) willRestart(code int) bool {
	run, err := c.RunDir()
	if err != nil {
		return false
	}
	if _, err := os.Stat(filepath.Join(run, fileStopped)); err == nil {
		return false
	}
	switch p := c.Config.Restart; p.Name {
	case early.RestartAlways, early.RestartUnlessStopped:
		return true
	case early.RestartOnFailure:
		return code != 0 && (p.MaxRetries == 0 || c.restarts(run) < p.MaxRetries)
	}
	return false
}

// restarts reads how many times the monitor restarted the container.
func (c *Container) restarts(run string) int {
	b, err := os.ReadFile(filepath.Join(run, early.FileRestarts))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// cleanupLocked releases the resources of a container that is not running: the
// libcontainer state and cgroup, a process a lost monitor left behind, the rootfs
// mount. Each step is idempotent, so it is safe after a crash at any point.
func (c *Container) cleanupLocked(st State) error {
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	if st.MonitorLost {
		if pid, _, err := readPidFile(filepath.Join(run, filePid)); err == nil && alive(pid) {
			_ = killPid(pid, 9)
		}
		_ = writeFileAtomic(filepath.Join(run, fileExit), []byte(fmt.Sprintf("137 %d\n", nowNano())), 0o600)
	}
	// Skip libcontainer for a container never created since boot (rm -a of many).
	if lcDir := filepath.Join(run, "lc"); fileExists(lcDir) {
		if lc, err := libcontainer.Load(lcDir, c.ID); err == nil {
			c.RecordOOM(run, lc) // before Destroy removes the cgroup and its counters
			_ = lc.Destroy()
		}
	}
	if err := c.teardownNet(); err != nil {
		return fmt.Errorf("network teardown of %s: %w", c.Name, err)
	}
	if err := unmountShm(run); err != nil {
		return err
	}
	// Unmount rewrites the layer store's mounts file even when there is nothing
	// to unmount: ask first (rm -a of many never-started containers).
	if n, err := c.r.store.Mounted(c.Layer); err != nil || n > 0 {
		if _, err := c.r.store.Unmount(c.ID, true); err != nil && !isNotMounted(err) {
			return fmt.Errorf("unmounting rootfs of %s: %w", c.Name, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(run, fileExit)); err == nil {
		if d, err := c.DataDir(); err == nil {
			_ = writeFileAtomic(filepath.Join(d, fileLastExit), b, 0o600)
		}
	}
	return nil
}
