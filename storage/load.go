package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/directory"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ocilayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage/pkg/archive"
)

// Load reads the images of a docker-archive or oci-archive file (or an OCI layout or
// dir: directory) into the store and returns the names (or ids) it loaded.
func (s *Store) Load(ctx context.Context, path string, progress io.Writer) ([]string, error) {
	return s.load(ctx, path, path, progress)
}

// load loads path, naming it label in errors.
func (s *Store) load(ctx context.Context, path, label string, progress io.Writer) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", label, err)
	}
	sys := s.SystemContext()
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, imgspec.ImageLayoutFile)); err == nil {
			return s.loadOCILayout(ctx, sys, path, progress)
		}
		ref, err := directory.NewReference(path)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", label, err)
		}
		img, err := s.copyIn(ctx, sys, ref, nil, progress)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", label, err)
		}
		return []string{"sha256:" + img.ID}, nil
	}
	names, dockerErr := s.loadDockerArchive(ctx, sys, path, progress)
	if dockerErr == nil {
		return names, nil
	}
	names, ociErr := s.loadOCIArchive(ctx, sys, path, progress)
	if ociErr == nil {
		return names, nil
	}
	return nil, fmt.Errorf("loading %s: payload does not match any of the supported image formats: docker-archive: %v; oci-archive: %v", label, dockerErr, ociErr)
}

func (s *Store) loadDockerArchive(ctx context.Context, sys *types.SystemContext, path string, progress io.Writer) ([]string, error) {
	r, err := dockerarchive.NewReader(sys, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	lists, err := r.List()
	if err != nil {
		return nil, err
	}
	var loaded []string
	for _, refs := range lists {
		if len(refs) == 0 {
			continue
		}
		tags, err := r.ManifestTagsForReference(refs[0])
		if err != nil {
			return loaded, err
		}
		var named []reference.Named
		for _, t := range tags {
			if n, err := reference.ParseNormalizedNamed(t); err == nil {
				named = append(named, reference.TagNameOnly(n))
			}
		}
		names, err := s.loadOne(ctx, sys, refs[0], named, progress)
		if err != nil {
			return loaded, err
		}
		loaded = append(loaded, names...)
	}
	if len(loaded) == 0 {
		return nil, fmt.Errorf("archive holds no image")
	}
	return loaded, nil
}

func (s *Store) loadOCIArchive(ctx context.Context, sys *types.SystemContext, path string, progress io.Writer) ([]string, error) {
	dir, err := os.MkdirTemp(sys.BigFilesTemporaryDir, "oci-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := archive.Untar(f, dir, &archive.TarOptions{NoLchown: true}); err != nil {
		return nil, fmt.Errorf("unpacking: %w", err)
	}
	return s.loadOCILayout(ctx, sys, dir, progress)
}

func (s *Store) loadOCILayout(ctx context.Context, sys *types.SystemContext, dir string, progress io.Writer) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, imgspec.ImageIndexFile))
	if err != nil {
		return nil, err
	}
	var index imgspec.Index
	if err := json.Unmarshal(b, &index); err != nil {
		return nil, fmt.Errorf("parsing index.json: %w", err)
	}
	if len(index.Manifests) == 0 {
		return nil, fmt.Errorf("index.json lists no image")
	}
	var loaded []string
	for i, m := range index.Manifests {
		ref, err := ocilayout.NewIndexReference(dir, i)
		if err != nil {
			return loaded, err
		}
		var named []reference.Named
		if n, err := reference.ParseNormalizedNamed(m.Annotations[imgspec.AnnotationRefName]); err == nil {
			named = append(named, reference.TagNameOnly(n))
		}
		names, err := s.loadOne(ctx, sys, ref, named, progress)
		if err != nil {
			return loaded, err
		}
		loaded = append(loaded, names...)
	}
	return loaded, nil
}

// loadOne copies one image in under its first name and adds the others.
func (s *Store) loadOne(ctx context.Context, sys *types.SystemContext, ref types.ImageReference, names []reference.Named, progress io.Writer) ([]string, error) {
	var first reference.Named
	if len(names) > 0 {
		first = names[0]
	}
	img, err := s.copyIn(ctx, sys, ref, first, progress)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return []string{"sha256:" + img.ID}, nil
	}
	var out []string
	for _, n := range names {
		out = append(out, n.String())
	}
	if len(out) > 1 {
		if err := s.AddNames(img.ID, out[1:]); err != nil {
			return nil, fmt.Errorf("tagging %s: %w", shortID(img.ID), err)
		}
	}
	return out, nil
}

// LoadFrom spools an archive from r (for `load` from stdin) and loads it.
func (s *Store) LoadFrom(ctx context.Context, r io.Reader, progress io.Writer) ([]string, error) {
	f, err := os.CreateTemp(s.SystemContext().BigFilesTemporaryDir, "load-*.tar")
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		return nil, fmt.Errorf("load: reading input: %w", err)
	}
	return s.load(ctx, f.Name(), "stdin", progress)
}
