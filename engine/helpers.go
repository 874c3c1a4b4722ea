package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/engine-dev/engine/internal/early"
	"github.com/engine-dev/engine/internal/shim"
)

// CreateHelper is the full binary's create helper (the hidden `__create`), for a
// binary built without the shim (internal/shim/shimbin): see shim.Create for the
// contract with the monitor. It opens no store: everything it needs is in runDir.
func CreateHelper(runDir, id string) int { return shim.Create(runDir, id) }

// createArgs is the argv of the create helper the monitor runs for every start
// and restart: the embedded shim, which links libcontainer only, so that it and
// libcontainer's init (the same binary re-executed) start without the image
// stack's package init; the full binary's `__create` when there is no shim or
// no root of the store can hold an executable (see Runtime.shimPath).
func (c *Container) createArgs(run string) []string {
	if p := c.r.shimPath(); p != "" {
		return []string{p, "create", run, c.ID}
	}
	helper := append([]string{c.r.exe}, c.r.global...)
	return append(helper, "__create", run, c.ID)
}

// exitCodeFor maps a failure to start the container's command to docker's codes.
func exitCodeFor(err error) int { return shim.ExitCode(err) }

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
//
// The removal of a bridge the container was the last to use runs next to the
// rest and after the container's lock is released: an `rm` or `start` waiting for
// that lock right after the exit need not wait for the bridge to go.
func (c *Container) CleanupAfterExit(code int) error {
	var idle []func()
	c.idleNets = &idle
	done := make(chan struct{})
	started := false
	defer func() {
		c.idleNets = nil
		if started {
			<-done
		}
	}()
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
	err = c.cleanupLocked(st)
	c.idleNets, started = nil, true
	go func() {
		for _, f := range idle {
			f()
		}
		close(done)
	}()
	if err != nil {
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
