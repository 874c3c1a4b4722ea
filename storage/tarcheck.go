package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"go.podman.io/storage/pkg/archive"
)

// ErrUnsafeArchive is returned for a layer tarball whose entries would write outside
// the root it is unpacked into.
var ErrUnsafeArchive = errors.New("unsafe layer tarball")

// checkLayerTar reads a (possibly compressed) layer tarball and rejects entries that
// name absolute paths or climb out with "..", links whose targets leave the root, and
// entries written through a symlink the same tarball created.
func checkLayerTar(r io.Reader) error {
	dr, err := archive.DecompressStream(r)
	if err != nil {
		return fmt.Errorf("reading layer tarball: %w", err)
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	symlinks := map[string]bool{}
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading layer tarball: %w", err)
		}
		n++
		if err := checkEntry(h, symlinks); err != nil {
			return fmt.Errorf("%w: %v", ErrUnsafeArchive, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("reading layer tarball: no entries (not a tar archive?)")
	}
	return nil
}

func checkEntry(h *tar.Header, symlinks map[string]bool) error {
	name := h.Name
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("entry %q has an absolute path", name)
	}
	if escapes(name) {
		return fmt.Errorf("entry %q climbs out of the root with ..", name)
	}
	clean := path.Clean(name)
	for dir := path.Dir(clean); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if symlinks[dir] {
			return fmt.Errorf("entry %q is written through symlink %q", name, dir)
		}
	}
	switch h.Typeflag {
	case tar.TypeSymlink:
		if !strings.HasPrefix(h.Linkname, "/") && escapes(path.Join(path.Dir(clean), h.Linkname)) {
			return fmt.Errorf("symlink %q points outside the root (%s)", name, h.Linkname)
		}
		symlinks[clean] = true
	case tar.TypeLink:
		if strings.HasPrefix(h.Linkname, "/") || escapes(h.Linkname) {
			return fmt.Errorf("hard link %q points outside the root (%s)", name, h.Linkname)
		}
	default:
		delete(symlinks, clean)
	}
	return nil
}

// escapes tells whether a relative path leaves its root.
func escapes(p string) bool {
	depth := 0
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
