package storage

import (
	"context"
	"fmt"
	"io"
	"os"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/compression"
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
	// Format is the manifest type to push: "oci", "v2s2" or "v2s1" (podman's
	// --format, for registries without OCI support); empty keeps the image's.
	Format string
	// Compression is the layer compression to push ("gzip", "zstd", ...); empty keeps it.
	Compression      string
	RemoveSignatures bool
}

// pushManifestTypes are podman's push --format values.
var pushManifestTypes = map[string]string{
	"oci":  imgspec.MediaTypeImageManifest,
	"v2s2": manifest.DockerV2Schema2MediaType,
	"v2s1": manifest.DockerV2Schema1SignedMediaType,
}

// copyOptions turns the push options into containers/image's.
func (o PushOptions) copyOptions(co *copy.Options) error {
	if o.Format != "" {
		mt, ok := pushManifestTypes[o.Format]
		if !ok {
			return fmt.Errorf("unknown format %q: want oci, v2s2 or v2s1", o.Format)
		}
		co.ForceManifestMIMEType = mt
	}
	if o.Compression != "" {
		algo, err := compression.AlgorithmByName(o.Compression)
		if err != nil {
			return fmt.Errorf("--compression-format: %w", err)
		}
		co.DestinationCtx.CompressionFormat = &algo
		co.ForceCompressionFormat = true
	}
	co.RemoveSignatures = o.RemoveSignatures
	return nil
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
	co := &copy.Options{ReportWriter: opts.Progress, SourceCtx: sys, DestinationCtx: sys}
	if err := opts.copyOptions(co); err != nil {
		return err
	}
	m, err := s.copyWith(ctx, img, destRef, co)
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
	_, err := s.copyWith(ctx, img, destRef, &copy.Options{ReportWriter: progress, SourceCtx: sys, DestinationCtx: sys})
	return err
}

// copyWith copies a stored image to destRef with the given options (SourceCtx
// set) and returns the manifest written there.
func (s *Store) copyWith(ctx context.Context, img *cstorage.Image, destRef types.ImageReference, co *copy.Options) ([]byte, error) {
	srcRef, err := is.Transport.NewStoreReference(s.Store, nil, img.ID)
	if err != nil {
		return nil, err
	}
	pc, err := policyContext(co.SourceCtx)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	return copy.Image(ctx, pc, destRef, srcRef, co)
}
