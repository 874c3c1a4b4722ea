package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// Stop sends the stop signal, waits up to timeout (nil: the container's own), then
// SIGKILL. Stopping a container that is not running is not an error.
func (c *Container) Stop(timeout *uint) error {
	st, err := c.State()
	if err != nil {
		return err
	}
	if !st.Running() || st.Pid == 0 {
		return nil
	}
	t := c.Config.StopTimeout
	if timeout != nil {
		t = *timeout
	}
	sig := syscall.SIGTERM
	if c.Config.StopSignal != "" {
		if s, err := ParseSignal(c.Config.StopSignal); err == nil {
			sig = s
		}
	}
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	// The marker tells the monitor's restart policy that the user stopped it.
	if err := os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600); err != nil {
		return fmt.Errorf("stopping %s: %w", c.Name, err)
	}
	// A restart may have replaced the process before the marker was there.
	if st, err = c.State(); err != nil || !st.Running() || st.Pid == 0 {
		return err
	}
	if t > 0 {
		if err := c.signal(st, sig); err != nil {
			return err
		}
		if waitExit(run, time.Duration(t)*time.Second) {
			return nil
		}
	}
	if err := c.signal(st, syscall.SIGKILL); err != nil {
		return err
	}
	if !waitExit(run, 30*time.Second) {
		return fmt.Errorf("container %s did not exit 30s after SIGKILL", c.Name)
	}
	return nil
}

// Kill sends sig to the container's init.
func (c *Container) Kill(sig syscall.Signal) error {
	st, err := c.State()
	if err != nil {
		return err
	}
	if !st.Running() || st.Pid == 0 {
		return fmt.Errorf("can only kill running containers: %s is %s: %w", c.Name, st.Status, ErrCtrStateInvalid)
	}
	if run, err := c.RunDir(); err == nil {
		_ = os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600)
	}
	return c.signal(st, sig)
}

func (c *Container) signal(st State, sig syscall.Signal) error {
	if st.Status == StatusPaused && (sig == syscall.SIGKILL || sig == syscall.SIGTERM) {
		_ = c.Unpause() // a frozen process cannot act on the signal
	}
	if err := killPid(st.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling %s: %w", c.Name, err)
	}
	return nil
}

// Remove deletes the container; a running one only with force (then it is killed).
func (c *Container) Remove(force bool) error { return c.RemoveWith(force, false) }

// RemoveWith is Remove that also removes the container's anonymous volumes with
// volumes (rm -v).
func (c *Container) RemoveWith(force, volumes bool) error {
	unlock, err := c.lock()
	if errors.Is(err, ErrNoSuchContainer) && c.r.store != nil {
		// A record whose directory is gone (a create or a remove killed half-way):
		// make the directory again so that the removal can finish under the lock.
		if _, serr := c.r.store.Container(c.ID); serr == nil {
			if d, derr := c.DataDir(); derr == nil && os.MkdirAll(d, 0o700) == nil {
				unlock, err = c.lock()
			}
		}
	}
	if err != nil {
		return err
	}
	defer unlock()
	st, err := c.State()
	if err != nil {
		return err
	}
	if st.Status == StatusCreated && st.MonitorPid != 0 && force {
		// A start in progress, or one whose CLI was killed: the monitor is up and
		// its create helper is making the process. Let it appear, then kill it as a
		// running one, so that no monitor or init outlives the record.
		waitFor(10*time.Second, 20*time.Millisecond, func() bool {
			now, err := c.readState()
			return err != nil || now.Pid != 0 || now.Status != StatusCreated
		})
		if st, err = c.readState(); err != nil {
			return err
		}
	}
	if st.Running() || (st.Status == StatusCreated && st.MonitorPid != 0) {
		if !force {
			return fmt.Errorf("cannot remove container %s as it is %s - running or paused containers cannot be removed without force: %w", c.ID, st.Status, ErrCtrStateInvalid)
		}
		if run, err := c.RunDir(); err == nil {
			_ = os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600)
			if st.Pid == 0 {
				// No process came: the monitor is stuck creating it; end the monitor,
				// and cleanup below releases what it held.
				_ = killPid(st.MonitorPid, syscall.SIGKILL)
				waitFor(5*time.Second, 10*time.Millisecond, func() bool { return !alive(st.MonitorPid) })
			} else {
				_ = c.signal(st, syscall.SIGKILL)
				waitExit(run, 30*time.Second)
			}
		}
		if st, err = c.readState(); err != nil {
			return err
		}
	}
	if err := c.cleanupLocked(st); err != nil {
		return err
	}
	return c.removeLocked(volumes)
}

func (c *Container) removeLocked(volumes bool) error {
	if err := c.r.store.DeleteContainer(c.ID); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) {
		return fmt.Errorf("removing container %s: %w", c.Name, err)
	}
	return c.releaseMounts(volumes)
}

// Wait blocks until the container is not running and returns its exit code.
func (c *Container) Wait() (int, error) {
	for {
		st, err := c.State()
		if err != nil {
			return -1, err
		}
		if st.Status == StatusExited {
			return st.ExitCode, nil
		}
		if st.Status == StatusCreated && st.MonitorPid == 0 {
			// Never started: it is not running, so there is nothing to wait for;
			// podman prints 0 at once too (waiting for a start hung scripts forever).
			return 0, nil
		}
		run, err := c.RunDir()
		if err != nil {
			return -1, err
		}
		waitExit(run, time.Second)
	}
}

// waitExit waits until RUNDIR/exit exists, watching the directory with inotify rather
// than polling, so that `stop -t 0` returns as soon as the monitor has written it.
func waitExit(run string, timeout time.Duration) bool {
	exitPath := filepath.Join(run, fileExit)
	exists := func() bool { _, err := os.Stat(exitPath); return err == nil }
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return waitFor(timeout, 10*time.Millisecond, exists)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, run, unix.IN_MOVED_TO|unix.IN_CREATE|unix.IN_DELETE_SELF); err != nil {
		return waitFor(timeout, 10*time.Millisecond, exists)
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for {
		if exists() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		if left > 250*time.Millisecond {
			left = 250 * time.Millisecond // also notice a monitor that died without writing
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(left.Milliseconds())+1); err != nil && !errors.Is(err, unix.EINTR) {
			return exists()
		}
		for {
			if _, err := unix.Read(fd, buf); err != nil {
				break
			}
		}
		if _, err := os.Stat(run); err != nil {
			return true // the run directory is gone: the container was removed
		}
	}
}

func killPid(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return syscall.ESRCH
	}
	return syscall.Kill(pid, sig)
}

func nowNano() int64 { return time.Now().UnixNano() }

func isNotMounted(err error) bool {
	return errors.Is(err, cstorage.ErrLayerNotMounted) || errors.Is(err, cstorage.ErrContainerUnknown) || errors.Is(err, cstorage.ErrLayerUnknown)
}

// Pause freezes the container's processes (cgroup freezer).
func (c *Container) Pause() error {
	return c.freeze(true)
}

// Unpause thaws a paused container.
func (c *Container) Unpause() error {
	return c.freeze(false)
}
