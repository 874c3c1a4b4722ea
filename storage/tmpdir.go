package storage

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// tmpDir is one process's directory for big temporary files (layer blobs, spooled
// archives). The process holds a shared flock on DIR/lock while it lives, so another
// process that can lock it exclusively knows the owner died and removes the directory.
type tmpDir struct {
	path string
	lock *os.File
}

func newTmpDir(parent string) (*tmpDir, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "p-")
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &tmpDir{path: dir, lock: f}, nil
}

func (t *tmpDir) remove() {
	_ = os.RemoveAll(t.path)
	t.lock.Close()
}

// removeDeadTmpDirs removes the temporary directories of processes that are gone.
func removeDeadTmpDirs(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
		if err != nil {
			// No lock file: killed between mkdir and lock, or not ours. Give it time.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleLayerAge {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			_ = os.RemoveAll(dir)
		}
		f.Close()
	}
}
