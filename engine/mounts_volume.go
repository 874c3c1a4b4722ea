package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"golang.org/x/sys/unix"
)

// prepareVolume returns the host path of m's volume, making the volume if it went
// missing and, on its first use, giving it the container user's ownership and the
// image's content and permissions at the destination (podman's NeedsChown and
// NeedsCopyUp; docker copies likewise).
func (c *Container) prepareVolume(m Mount, rootfs string, u specs.User) (string, error) {
	s := c.r.volumes()
	unlock, err := s.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	v, err := s.get(m.Source)
	if errors.Is(err, ErrNoSuchVolume) {
		if v, err = newVolume(VolumeCreateOptions{Name: m.Source}); err == nil {
			v.Anonymous = m.Anonymous
			err = s.create(v)
		}
	}
	if err != nil {
		return "", err
	}
	if v.NeedsChown || (v.NeedsCopyUp && !m.NoCopy) {
		if err := firstUse(v, m, rootfs, u); err != nil {
			return "", err
		}
		if err := s.update(v); err != nil {
			return "", err
		}
	}
	if m.Chown {
		if err := chownTree(v.Mountpoint, int(u.UID), int(u.GID)); err != nil {
			return "", err
		}
	}
	return v.Mountpoint, nil
}

// firstUse does the one-time set-up of a volume; the caller holds the lock.
func firstUse(v *Volume, m Mount, rootfs string, u specs.User) error {
	if v.NeedsChown {
		if err := os.Lchown(v.Mountpoint, int(u.UID), int(u.GID)); err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		v.NeedsChown = false
	}
	if !v.NeedsCopyUp || m.NoCopy {
		return nil
	}
	if err := copyUp(rootfs, m.Destination, v.Mountpoint); err != nil {
		return fmt.Errorf("filling volume %s from the image's %s: %w", v.Name, m.Destination, err)
	}
	v.NeedsCopyUp = false
	return nil
}

// copyUp copies the image's directory dest into an empty volume and gives the
// volume that directory's mode and owner. dest is resolved inside rootfs
// (securejoin) and the walk below it never follows a symlink; the rootfs is quiet
// (its container is not running during Start), so nothing can swap a directory
// for a symlink meanwhile. The volume may already be mounted (nocopy) by a running
// container, so extraction is chrooted into it.
func copyUp(rootfs, dest, data string) error {
	if ents, err := os.ReadDir(data); err != nil || len(ents) > 0 {
		return err // not empty: docker copies into empty volumes only
	}
	src, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return err
	}
	st, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil || !st.IsDir() {
		return err
	}
	sys := st.Sys().(*syscall.Stat_t)
	if err := os.Lchown(data, int(sys.Uid), int(sys.Gid)); err != nil {
		return err
	}
	if err := os.Chmod(data, st.Mode().Perm()|st.Mode()&(fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid)); err != nil {
		return err
	}
	rc, err := archive.TarWithOptions(src, &archive.TarOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	return chrootarchive.Untar(rc, data, &archive.TarOptions{})
}

// prepareBindSource makes a missing source for bind-create and chowns the source
// for U. Chowning a tree to the container's user is what U asks for; as rootless
// the user can only give away what it owns, so U is no way around permissions.
func prepareBindSource(m Mount, u specs.User) error {
	if m.Create {
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			return fmt.Errorf("bind-create %s: %w", m.Source, err)
		}
	}
	if m.Chown {
		return chownTree(m.Source, int(u.UID), int(u.GID))
	}
	return nil
}

// chownTree chowns root and everything below it. It walks by file descriptors
// (openat with O_NOFOLLOW, fchownat with AT_SYMLINK_NOFOLLOW), so a running
// container that swaps a directory for a symlink meanwhile cannot redirect the
// chown to a path outside the tree.
func chownTree(root string, uid, gid int) error {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("chown %s: %w", root, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return fmt.Errorf("chown %s to %d:%d: %w", root, uid, gid, err)
	}
	return chownBelow(fd, root, uid, gid)
}

// chownBelow chowns the entries of the open directory dirfd (named path in errors).
func chownBelow(dirfd int, path string, uid, gid int) error {
	dup, err := unix.Dup(dirfd)
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(dup), path)
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("chown: reading %s: %w", path, err)
	}
	for _, n := range names {
		if err := unix.Fchownat(dirfd, n, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown %s to %d:%d: %w", filepath.Join(path, n), uid, gid, err)
		}
		sub, err := unix.Openat(dirfd, n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // not a directory (or a symlink): nothing below it
		}
		err = chownBelow(sub, filepath.Join(path, n), uid, gid)
		unix.Close(sub)
		if err != nil {
			return err
		}
	}
	return nil
}

// releaseMounts runs when the container is removed; anonymous volumes go with
// removeAnon (rm -v, --rm), unless another container still uses them.
func (c *Container) releaseMounts(removeAnon bool) error {
	if !removeAnon {
		return nil
	}
	if err := c.r.removeAnonymous(c.Config.Mounts.Mounts); err != nil {
		return fmt.Errorf("removing anonymous volumes of %s: %w", c.Name, err)
	}
	return nil
}
