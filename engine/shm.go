package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A shareable container's /dev/shm is a tmpfs mounted on the host side, in its run
// directory, and bound into the container, as podman does: a container that joins
// its IPC namespace (--ipc container:NAME) binds the same tmpfs. The kernel lets no
// bind mount reach a tmpfs that lives only in another mount namespace.
const dirShm = "shm"

// shareableShm tells whether the container's /dev/shm lives on the host side: the
// default IPC mode, as podman's "shareable". --ipc private keeps it inside.
func (c *Container) shareableShm() bool {
	return c.Config.Security.IPC == "" && !c.Config.Security.PrivateIPC
}

// mountShm mounts the container's shareable /dev/shm before its start.
func (c *Container) mountShm(run string) error {
	if !c.shareableShm() {
		return nil
	}
	dir := filepath.Join(run, dirShm)
	if mounted(dir) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("container %s: /dev/shm: %w", c.Name, err)
	}
	size := c.Config.Resources.ShmSize
	if size == 0 {
		size = defaultShmSize
	}
	opts := fmt.Sprintf("mode=1777,size=%d", size)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return fmt.Errorf("container %s: mounting /dev/shm: %w", c.Name, err)
	}
	return nil
}

// unmountShm undoes mountShm; idempotent (cleanup after kill -9 runs it again).
func unmountShm(run string) error {
	dir := filepath.Join(run, dirShm)
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", dir, err)
	}
	_ = os.Remove(dir)
	return nil
}

// mounted tells whether dir is a mount point (its device differs from its parent's).
func mounted(dir string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(dir, &st) != nil || unix.Lstat(filepath.Dir(dir), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}

// specShm binds the host-side /dev/shm: the container's own when shareable, or that
// of the container whose IPC namespace it joins. A donor with --ipc private has
// none to give.
func (c *Container) specShm(spec *specs.Spec, runDir string) error {
	src := ""
	if id, joins := c.Config.Security.IPC.Container(); joins {
		other, err := c.r.Lookup(id)
		if err != nil {
			return err
		}
		orun, err := other.RunDir()
		if err != nil {
			return err
		}
		if src = filepath.Join(orun, dirShm); !mounted(src) {
			return fmt.Errorf("container %s has a private IPC namespace: its /dev/shm cannot be shared (create it without --ipc private): %w", other.Name, ErrInvalidArg)
		}
	} else if c.shareableShm() {
		src = filepath.Join(runDir, dirShm)
	} else {
		return nil
	}
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if m.Destination == "/dev/shm" && m.Type == "tmpfs" && m.Source == "shm" {
			*m = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: src, Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
		}
	}
	return nil
}
