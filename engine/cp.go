package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/idtools"
)

// withRoot calls fn with a host path to the container's root filesystem, mounted for
// the call (a running container's rootfs is mounted already; this only counts up).
// /proc/PID/root would also show the container's own mounts, but containers/storage's
// archive code refuses to walk a magic link.
func (c *Container) withRoot(fn func(root string) error) error {
	mp, err := c.r.store.Mount(c.ID, "")
	if err != nil {
		return fmt.Errorf("mounting %s: %w", c.Name, err)
	}
	defer func() { _, _ = c.r.store.Unmount(c.ID, false) }()
	return fn(mp)
}

// hostPath resolves the container path p to a host path: inside the source of the
// container's bind mount or volume that covers p, else inside the rootfs, always
// with securejoin so that no symlink leads out. write refuses a read-only mount.
func (c *Container) hostPath(rootfs, p string, write bool) (string, error) {
	p = filepath.Clean("/" + p)
	var best *Mount
	for i := range c.Config.Mounts.Mounts {
		m := &c.Config.Mounts.Mounts[i]
		if m.Type != MountBind && m.Type != MountVolume {
			continue
		}
		if d := filepath.Clean(m.Destination); (p == d || strings.HasPrefix(p, d+"/") || d == "/") && (best == nil || len(d) > len(best.Destination)) {
			best = m
		}
	}
	if best == nil {
		return securejoin.SecureJoin(rootfs, p)
	}
	if write && best.ReadOnly {
		return "", fmt.Errorf("%s:%s: %s is mounted read-only: %w", c.Name, p, best.Destination, ErrInvalidArg)
	}
	src := best.Source
	if best.Type == MountVolume {
		v, err := c.r.volumes().get(best.Source)
		if err != nil {
			return "", err
		}
		src = v.Mountpoint
	}
	rel, _ := filepath.Rel(filepath.Clean(best.Destination), p)
	return securejoin.SecureJoin(src, rel)
}

// CopyOut writes a tar stream of PATH in the container (for `cp CTR:PATH -`).
func (c *Container) CopyOut(path string, w io.Writer) error {
	return c.withRoot(func(root string) error {
		src, err := c.hostPath(root, path, false)
		if err != nil {
			return err
		}
		return tarPath(src, filepath.Base(path), w)
	})
}

// CopyToHost copies PATH in the container to DST on the host, docker-style: into DST
// when it is a directory, else as DST. "PATH/." copies the directory's contents.
func (c *Container) CopyToHost(path, dst string) error {
	return c.withRoot(func(root string) error {
		src, err := c.hostPath(root, path, false)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(src); err != nil {
			// podman's words, which scripts match on.
			return fmt.Errorf("%q could not be found on container %s: %w", path, c.Name, syscall.ENOENT)
		}
		into, name, err := copyTarget(path, dst, os.Stat)
		if err != nil {
			return err
		}
		r, w := io.Pipe()
		go func() { w.CloseWithError(tarPath(src, name, w)) }()
		defer r.Close()
		opts := &archive.TarOptions{ChownOpts: &idtools.IDPair{UID: os.Getuid(), GID: os.Getgid()}}
		return chrootarchive.Untar(r, into, opts)
	})
}

// CopyFromHost copies SRC on the host into the container at PATH, docker-style; the
// copy is owned by the container's root. The target is resolved inside the rootfs (or
// the volume or bind source mounted there) and extraction is chrooted into it, so no
// symlink can make the copy land on the host.
func (c *Container) CopyFromHost(src, path string) error {
	if _, err := os.Lstat(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%q could not be found on the host: %w", src, syscall.ENOENT)
		}
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return c.withRoot(func(root string) error {
		into, name, err := copyTarget(src, path, c.inRoot(root))
		if err != nil {
			return err
		}
		dest, err := c.hostPath(root, into, true)
		if err != nil {
			return err
		}
		r, w := io.Pipe()
		go func() { w.CloseWithError(tarPath(src, name, w)) }()
		defer r.Close()
		uids, gids := c.idMaps()
		return chrootarchive.Untar(r, dest, &archive.TarOptions{ChownOpts: &idtools.IDPair{UID: 0, GID: 0}, UIDMaps: uids, GIDMaps: gids})
	})
}

// CopyIn extracts a tar stream into the directory PATH in the container (`cp - CTR:PATH`).
func (c *Container) CopyIn(r io.Reader, path string) error {
	return c.withRoot(func(root string) error {
		if fi, err := c.inRoot(root)(path); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s:%s is not a directory: %w", c.Name, path, ErrInvalidArg)
		}
		dest, err := c.hostPath(root, path, true)
		if err != nil {
			return err
		}
		uids, gids := c.idMaps()
		return chrootarchive.Untar(r, dest, &archive.TarOptions{UIDMaps: uids, GIDMaps: gids})
	})
}

// inRoot stats container paths (hostPath).
func (c *Container) inRoot(root string) func(string) (os.FileInfo, error) {
	return func(p string) (os.FileInfo, error) {
		hp, err := c.hostPath(root, p, false)
		if err != nil {
			return nil, err
		}
		return os.Stat(hp)
	}
}

// copyTarget decides where a copy of src lands for dst, docker-style: into dst under
// src's name when dst is a directory, else into dst's parent under dst's name;
// "src/." copies the directory's contents.
func copyTarget(src, dst string, stat func(string) (os.FileInfo, error)) (dir, name string, err error) {
	if fi, err := stat(dst); err == nil && fi.IsDir() {
		if strings.HasSuffix(src, "/.") {
			return dst, ".", nil
		}
		return dst, filepath.Base(src), nil
	}
	if strings.HasSuffix(dst, "/") {
		return "", "", fmt.Errorf("destination directory %s does not exist: %w", dst, ErrInvalidArg)
	}
	parent := filepath.Dir(dst)
	if fi, err := stat(parent); err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("destination directory %s does not exist: %w", parent, ErrInvalidArg)
	}
	return parent, filepath.Base(dst), nil
}

// tarPath writes a tar of src whose top entry is named name ("." for the contents).
func tarPath(src, name string, w io.Writer) error {
	base := filepath.Base(src)
	opts := &archive.TarOptions{Compression: archive.Uncompressed, IncludeFiles: []string{base}}
	dir := filepath.Dir(src)
	if name == "." {
		dir, opts.IncludeFiles = src, []string{"."}
	} else if name != base {
		opts.RebaseNames = map[string]string{base: name}
	}
	rc, err := archive.TarWithOptions(dir, opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// idMaps are the container's user namespace mappings for the archive code: a copy
// into a container with its own user namespace belongs to the ids it sees as its own.
func (c *Container) idMaps() (uids, gids []idtools.IDMap) {
	conv := func(m []specs.LinuxIDMapping) []idtools.IDMap {
		var out []idtools.IDMap
		for _, e := range m {
			out = append(out, idtools.IDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)})
		}
		return out
	}
	return conv(c.Config.Security.UIDMap), conv(c.Config.Security.GIDMap)
}
