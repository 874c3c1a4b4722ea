package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Status values, as podman prints them.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusExited  = "exited"
)

// Files in a container's run directory (tmpfs). The monitor writes monitor.pid and
// exit; the create helper writes pid; `stop`/`kill` write stopped; `pause` paused.
const (
	fileMonitorPid = "monitor.pid"
	filePid        = "pid"
	fileExit       = "exit"
	fileStopped    = "stopped"
	filePaused     = "paused"
	fileSpec       = "config.json"
	fileMonitorCfg = "monitor.conf"
	fileAttach     = "attach"
	// lastExit, in the persistent directory, keeps the exit of the last run across
	// reboots, which empty the run directory.
	fileLastExit = "last-exit"
)

// State is a container's live state, read from its files and reconciled with the
// processes that exist.
type State struct {
	Status     string
	Pid        int // container init, while running
	MonitorPid int
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	// MonitorLost is set when the monitor died without recording an exit.
	MonitorLost bool
}

// Running tells whether the container's processes exist (running or paused).
func (s State) Running() bool { return s.Status == StatusRunning || s.Status == StatusPaused }

// State reads the container's state. A container whose monitor died without
// recording an exit is reconciled on the spot (its leftovers cleaned up) unless another
// process holds its lock, as this one may itself (Start, Remove clean up themselves).
func (c *Container) State() (State, error) {
	st, err := c.readState()
	if err == nil && st.MonitorLost && c.r.store != nil {
		c.tryReconcile(st)
	}
	if err == nil && st.Status == StatusRunning && c.r.store != nil {
		if run, rerr := c.RunDir(); rerr == nil && fileExists(filepath.Join(run, fileStarter)) {
			c.reapAbandonedStart(run, st)
		}
	}
	return st, err
}

func (c *Container) tryReconcile(st State) {
	d, err := c.DataDir()
	if err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(d, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	_ = c.cleanupLocked(st)
}

func (c *Container) readState() (State, error) {
	var st State
	run, err := c.RunDir()
	if err != nil {
		return st, err
	}
	mpid, mtime, err := readPidFile(filepath.Join(run, fileMonitorPid))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return st, err
	}
	if mpid == 0 {
		return c.lastExit()
	}
	st.MonitorPid, st.StartedAt = mpid, mtime
	if pid, t, err := readPidFile(filepath.Join(run, filePid)); err == nil {
		st.Pid, st.StartedAt = pid, t
	}
	if code, at, ok := readExit(filepath.Join(run, fileExit)); ok {
		st.Status, st.ExitCode, st.FinishedAt, st.Pid = StatusExited, code, at, 0
		return st, nil
	}
	if !alive(mpid) {
		st.Status, st.MonitorLost, st.ExitCode = StatusExited, true, -1
		return st, nil
	}
	st.Status = StatusRunning
	if st.Pid == 0 {
		st.Status = StatusCreated // monitor up, container not started yet
	}
	if _, err := os.Stat(filepath.Join(run, filePaused)); err == nil {
		st.Status = StatusPaused
	}
	return st, nil
}

func (c *Container) lastExit() (State, error) {
	st := State{Status: StatusCreated}
	d, err := c.DataDir()
	if err != nil {
		return st, err
	}
	if code, at, ok := readExit(filepath.Join(d, fileLastExit)); ok {
		st.Status, st.ExitCode, st.FinishedAt = StatusExited, code, at
	}
	return st, nil
}

// readPidFile reads "PID" from path and returns it with the file's mtime.
func readPidFile(path string) (int, time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}, err
	}
	pid, err := strconv.Atoi(strings.Fields(string(b) + " 0")[0])
	if err != nil || pid <= 0 {
		return 0, time.Time{}, fmt.Errorf("bad pid file %s", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, time.Time{}, err
	}
	return pid, fi.ModTime(), nil
}

// readExit reads "CODE UNIXNANO" as the monitor writes it.
func readExit(path string) (int, time.Time, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, time.Time{}, false
	}
	code, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, time.Time{}, false
	}
	var at time.Time
	if len(f) > 1 {
		if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			at = time.Unix(0, ns)
		}
	}
	return code, at, true
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
