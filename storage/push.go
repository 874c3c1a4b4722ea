package storage

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/manifest"
	is "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// PushOptions configure Push.
type PushOptions struct {
	RegistryOptions
	Progress io.Writer
	// DigestFile, when set, receives the digest of the manifest pushed
	// ("sha256:..."), as podman's --digestfile: what a CI step signs or pins.
	DigestFile string
}

// Push copies the local image name to dest, a registry reference or a
// transport-qualified location; an empty dest means the image's own name.
func (s *Store) Push(ctx context.Context, name, dest string, opts PushOptions) error {
	img, err := s.LookupImage(name)
	if err != nil {
		return err
	}
	if dest == "" {
		dest = name
	}
	destRef, err := ParseSource(dest)
	if err != nil {
		return err
	}
	sys, err := s.registryContext(opts.RegistryOptions)
	if err != nil {
		return err
	}
	m, err := s.copyOutManifest(ctx, sys, img, destRef, opts.Progress)
	if err != nil {
		return fmt.Errorf("pushing %s to %s: %w", name, dest, err)
	}
	if opts.DigestFile == "" {
		return nil
	}
	d, err := manifest.Digest(m)
	if err != nil {
		return fmt.Errorf("digest of the manifest pushed to %s: %w", dest, err)
	}
	if err := os.WriteFile(opts.DigestFile, []byte(d.String()), 0o644); err != nil {
		return fmt.Errorf("writing --digestfile: %w", err)
	}
	return nil
}

// copyOut copies a stored image to destRef.
func (s *Store) copyOut(ctx context.Context, sys *types.SystemContext, img *cstorage.Image, destRef types.ImageReference, progress io.Writer) error {
	_, err := s.copyOutManifest(ctx, sys, img, destRef, progress)
	return err
}

// copyOutManifest is copyOut returning the manifest written at destRef.
func (s *Store) copyOutManifest(ctx context.Context, sys *types.SystemContext, img *cstorage.Image, destRef types.ImageReference, progress io.Writer) ([]byte, error) {
	srcRef, err := is.Transport.NewStoreReference(s.Store, nil, img.ID)
	if err != nil {
		return nil, err
	}
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	return copy.Image(ctx, pc, destRef, srcRef, &copy.Options{
		ReportWriter:   progress,
		SourceCtx:      sys,
		DestinationCtx: sys,
	})
}
