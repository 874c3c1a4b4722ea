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
	f, err := os.OpenFile(filepath.Join(d, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		// Create makes the directory; without it the container is gone (removed
		// by another process since it was looked up).
		return nil, fmt.Errorf("container %s: %w", shortID(c.ID), ErrNoSuchContainer)
	}
	if err != nil {
		return nil, fmt.Errorf("container %s: opening lock: %w", shortID(c.ID), err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("container %s: locking: %w", shortID(c.ID), err)
	}
	return func() { f.Close() }, nil
}
