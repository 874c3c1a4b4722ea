// Package shimbin carries cmd/engine-shim inside bin/engine and puts it on
// disk for the monitor to run.
//
// The Makefile builds the shim first, leaves it (and its sha256) next to this
// file and builds bin/engine with the engine_shim tag, which embeds both.
// Without the tag (go test, go vet, a plain go build) nothing is embedded and
// Path fails: the caller falls back to the full binary's `__create`.
//
// The shim is written once per content into a directory of the run root
// (tmpfs), named after its hash, by a temporary file and a rename, so
// concurrent engines never see half a file and every running container uses
// the same pages: no copy per container. libcontainer then seals it for the
// container's init as it would seal any binary (CVE-2019-5736: an overlayfs
// view of it, or a sealed memfd copy). Files of other contents stay until the
// run root is emptied (a reboot): a monitor started by an older engine runs
// its own shim again when it restarts its container.
package shimbin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNotEmbedded is Path's error for a binary built without the shim.
var ErrNotEmbedded = errors.New("no engine-shim embedded in this binary (built without the engine_shim tag)")

// Embedded reports whether this binary carries the shim.
func Embedded() bool { return len(binary) > 0 && len(sum) >= 16 }

// ID is the shim's content hash as it appears in its file name, "" without one.
func ID() string {
	if !Embedded() {
		return ""
	}
	return sum[:16]
}

// Path returns the shim's path in dir, writing it there first if needed. It
// fails when there is no shim or dir does not allow executing files (noexec).
func Path(dir string) (string, error) {
	if !Embedded() {
		return "", ErrNotEmbedded
	}
	path := filepath.Join(dir, "engine-shim-"+ID())
	if ok, err := usable(path); ok || err != nil {
		return path, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("shim directory: %w", err)
	}
	if err := checkExec(dir); err != nil {
		return "", err
	}
	if err := writeAtomic(dir, path); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// usable tells whether path holds the shim already: a regular file of ours of
// the right size and mode. The name carries the content's hash; the size and
// mode catch a file left by someone else or cut short.
func usable(path string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("shim %s: %w", path, err)
	}
	ok := st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == int64(len(binary)) &&
		st.Mode&0o7777 == 0o555 && int(st.Uid) == os.Geteuid()
	if !ok {
		// Not ours: replace it (the rename is atomic).
		return false, nil
	}
	return true, nil
}

func checkExec(dir string) error {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return fmt.Errorf("shim directory %s: %w", dir, err)
	}
	if fs.Flags&unix.ST_NOEXEC != 0 {
		return fmt.Errorf("shim directory %s is on a noexec mount", dir)
	}
	return nil
}

// writeAtomic writes the shim under a temporary name and renames it into place.
// It holds syscall.ForkLock for writing while the file is open: a process forked
// meanwhile (the background network setup starts slirp4netns and CNI plugins) would
// hold the writable descriptor until its exec, and exec of the shim in that window
// fails with ETXTBSY (Go issue 22315).
func writeAtomic(dir, path string) error {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	f, err := os.CreateTemp(dir, ".engine-shim-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(binary)
	if err == nil {
		err = f.Chmod(0o555)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
