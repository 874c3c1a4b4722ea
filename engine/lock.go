package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lock takes the container's lock (flock on DATADIR/lock), held by every operation
// that changes the container: lock -> load -> reconcile -> act -> save. The kernel
// drops it when the holder dies, so a kill -9 never leaves it stale.
func (c *Container) lock() (func(), error) {
	d, err := c.DataDir()
	if err != nil {
		return nil, err
	}
	unlock, err := flockPath(filepath.Join(d, "lock"))
	if errors.Is(err, os.ErrNotExist) {
		// Create makes the directory; without it the container is gone (removed
		// by another process since it was looked up).
		return nil, fmt.Errorf("container %s: %w", shortID(c.ID), ErrNoSuchContainer)
	}
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	return unlock, nil
}

// flockPath takes an exclusive flock on path (created if missing) and returns
// its release.
func flockPath(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// The holder may have removed the file (its container or volume) while we
	// waited: a lock on the unlinked file guards nothing.
	var held, now unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Stat(path, &now) != nil || held.Ino != now.Ino || held.Dev != now.Dev {
		f.Close()
		return nil, fmt.Errorf("locking %s: removed while waiting: %w", path, os.ErrNotExist)
	}
	return func() { f.Close() }, nil
}
