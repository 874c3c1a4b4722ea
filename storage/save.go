package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.podman.io/image/v5/directory"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ocilayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/storage/pkg/archive"
)

// Save formats, as podman names them.
const (
	FormatDockerArchive = "docker-archive"
	FormatOCIArchive    = "oci-archive"
	FormatOCIDir        = "oci-dir"
	FormatDockerDir     = "docker-dir"
)

// SaveOptions configure Save.
type SaveOptions struct {
	Format string // one of the Format constants; default docker-archive
	Output string // file (archives) or directory (dir formats)
}

// Save writes local images to an archive or directory. Archives are written to a
// temporary file next to Output and renamed into place, so a failed or killed save
// never leaves a half-written archive under the requested name.
func (s *Store) Save(ctx context.Context, names []string, opts SaveOptions) error {
	if len(names) == 0 {
		return fmt.Errorf("save: no image given")
	}
	if opts.Output == "" {
		return fmt.Errorf("save: no output given")
	}
	format := opts.Format
	if format == "" {
		format = FormatDockerArchive
	}
	switch format {
	case FormatDockerArchive, FormatOCIArchive:
		return s.saveArchive(ctx, names, format, opts.Output)
	case FormatOCIDir:
		return s.saveOCIDir(ctx, names, opts.Output)
	case FormatDockerDir:
		if len(names) != 1 {
			return fmt.Errorf("save: format %s holds one image, got %d", format, len(names))
		}
		ref, err := directory.NewReference(opts.Output)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		img, err := s.LookupImage(names[0])
		if err != nil {
			return err
		}
		return s.copyOut(ctx, s.SystemContext(), img, ref, nil)
	default:
		return fmt.Errorf("save: unknown format %q (want docker-archive, oci-archive, oci-dir or docker-dir)", format)
	}
}

func (s *Store) saveArchive(ctx context.Context, names []string, format, output string) (retErr error) {
	tmp, err := os.CreateTemp(filepath.Dir(output), ".engine-save-*")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	tmp.Close()
	defer func() {
		if retErr != nil {
			os.Remove(tmp.Name())
		}
	}()
	if format == FormatDockerArchive {
		err = s.saveDockerArchive(ctx, names, tmp.Name())
	} else {
		err = s.saveOCIArchive(ctx, names, tmp.Name())
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func (s *Store) saveDockerArchive(ctx context.Context, names []string, path string) error {
	sys := s.SystemContext()
	w, err := dockerarchive.NewWriter(sys, path)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer w.Close()
	for _, name := range names {
		img, err := s.LookupImage(name)
		if err != nil {
			return err
		}
		ref, err := w.NewReference(s.tagFor(name, img.Names))
		if err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
		if err := s.copyOut(ctx, sys, img, ref, nil); err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func (s *Store) saveOCIArchive(ctx context.Context, names []string, path string) error {
	dir, err := os.MkdirTemp(s.SystemContext().BigFilesTemporaryDir, "oci-save-")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := s.saveOCIDir(ctx, names, dir); err != nil {
		return err
	}
	rc, err := archive.Tar(dir, archive.Uncompressed)
	if err != nil {
		return fmt.Errorf("save: archiving %s: %w", dir, err)
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("save: writing %s: %w", path, err)
	}
	return f.Close()
}

func (s *Store) saveOCIDir(ctx context.Context, names []string, dir string) error {
	sys := s.SystemContext()
	for _, name := range names {
		img, err := s.LookupImage(name)
		if err != nil {
			return err
		}
		refName := ""
		if t := s.tagFor(name, img.Names); t != nil {
			refName = t.String()
		}
		ref, err := ocilayout.NewReference(dir, refName)
		if err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
		if err := s.copyOut(ctx, sys, img, ref, nil); err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
	}
	return nil
}

// tagFor picks the name recorded in an archive: the one the user typed when it is one
// of the image's names, else the image's first tagged name, else none (saved by id).
func (s *Store) tagFor(asked string, names []string) reference.NamedTagged {
	if ref, err := NormalizeName(asked); err == nil {
		for _, n := range names {
			if n == ref.String() {
				if t, ok := ref.(reference.NamedTagged); ok {
					return t
				}
			}
		}
	}
	if isHexPrefix(asked) {
		return nil
	}
	for _, n := range names {
		if r, err := reference.ParseNormalizedNamed(n); err == nil {
			if t, ok := r.(reference.NamedTagged); ok {
				return t
			}
		}
	}
	return nil
}

// SaveTo writes an archive of the images to w (for `save` without -o).
func (s *Store) SaveTo(ctx context.Context, names []string, format string, w io.Writer) error {
	if format != "" && format != FormatDockerArchive && format != FormatOCIArchive {
		return fmt.Errorf("save: format %s needs -o DIRECTORY", format)
	}
	dir, err := os.MkdirTemp(s.SystemContext().BigFilesTemporaryDir, "save-")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "archive.tar")
	if err := s.Save(ctx, names, SaveOptions{Format: format, Output: out}); err != nil {
		return err
	}
	f, err := os.Open(out)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("save: writing archive: %w", err)
	}
	return nil
}
