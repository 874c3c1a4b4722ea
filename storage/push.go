package storage

import (
	"context"
	"fmt"
	"io"

	"go.podman.io/image/v5/copy"
	is "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// PushOptions configure Push.
type PushOptions struct {
	RegistryOptions
	Progress io.Writer
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
	if err := s.copyOut(ctx, sys, img, destRef, opts.Progress); err != nil {
		return fmt.Errorf("pushing %s to %s: %w", name, dest, err)
	}
	return nil
}

// copyOut copies a stored image to destRef.
func (s *Store) copyOut(ctx context.Context, sys *types.SystemContext, img *cstorage.Image, destRef types.ImageReference, progress io.Writer) error {
	srcRef, err := is.Transport.NewStoreReference(s.Store, nil, img.ID)
	if err != nil {
		return err
	}
	pc, err := policyContext(sys)
	if err != nil {
		return err
	}
	defer pc.Destroy()
	_, err = copy.Image(ctx, pc, destRef, srcRef, &copy.Options{
		ReportWriter:   progress,
		SourceCtx:      sys,
		DestinationCtx: sys,
	})
	return err
}
