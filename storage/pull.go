package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/shortnames"
	is "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// RegistryOptions are the per-call settings for reaching a registry.
type RegistryOptions struct {
	TLSVerify types.OptionalBool // --tls-verify; OptionalBoolUndefined follows registries.conf
	AuthFile  string             // --authfile
	Creds     string             // --creds user[:password]
	CertDir   string             // --cert-dir
}

func (s *Store) registryContext(o RegistryOptions) (*types.SystemContext, error) {
	sys := s.SystemContext()
	if o.TLSVerify != types.OptionalBoolUndefined {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(o.TLSVerify == types.OptionalBoolFalse)
		sys.OCIInsecureSkipTLSVerify = o.TLSVerify == types.OptionalBoolFalse
	}
	sys.AuthFilePath = o.AuthFile
	sys.DockerCertPath = o.CertDir
	if o.Creds != "" {
		user, pass, _ := strings.Cut(o.Creds, ":")
		if user == "" {
			return nil, fmt.Errorf("invalid --creds %q: user name is empty", o.Creds)
		}
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: user, Password: pass}
	}
	return sys, nil
}

// PullOptions configure Pull.
type PullOptions struct {
	RegistryOptions
	Progress io.Writer // where containers/image reports progress; nil for none
	// OS, Arch and Variant pick an image of a manifest list other than the host's
	// (podman's --platform, --os, --arch, --variant); empty means the host's.
	OS, Arch, Variant string
}

// Pull copies an image into the store and returns it. name is a registry reference
// (short names resolved through registries.conf) or a transport-qualified location
// (docker://, oci:, oci-archive:, docker-archive:, dir:).
func (s *Store) Pull(ctx context.Context, name string, opts PullOptions) (*cstorage.Image, error) {
	sys, err := s.registryContext(opts.RegistryOptions)
	if err != nil {
		return nil, err
	}
	sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice = opts.OS, opts.Arch, opts.Variant
	t, _, err := splitTransport(name)
	if err != nil {
		return nil, err
	}
	if t == nil || t.Name() == docker.Transport.Name() {
		return s.pullFromRegistry(ctx, sys, strings.TrimPrefix(name, "docker://"), opts)
	}
	src, err := ParseSource(name)
	if err != nil {
		return nil, err
	}
	var dest reference.Named
	if t.Name() == dockerarchive.Transport.Name() {
		dest = src.DockerReference()
		if dest == nil {
			dest, err = archiveTag(sys, src)
			if err != nil {
				return nil, fmt.Errorf("pulling %s: %w", name, err)
			}
		}
	} else {
		// podman's name for a path: "localhost" + the path, tag from oci:DIR:TAG or latest.
		dest = localName(strings.TrimSuffix(src.StringWithinTransport(), ":"))
	}
	img, err := s.copyIn(ctx, sys, src, dest, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", name, err)
	}
	return img, nil
}

func (s *Store) pullFromRegistry(ctx context.Context, sys *types.SystemContext, name string, opts PullOptions) (*cstorage.Image, error) {
	resolved, err := shortnames.Resolve(sys, name)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadReference, name, err)
	}
	var errs []error
	for _, c := range resolved.PullCandidates {
		src, err := docker.NewReference(c.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		img, err := s.copyIn(ctx, sys, src, c.Value, opts.Progress)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Value, err))
			continue
		}
		_ = c.Record()
		return img, nil
	}
	if len(errs) == 1 {
		return nil, fmt.Errorf("pulling %s: %w", name, errs[0])
	}
	return nil, fmt.Errorf("pulling %s: %w", name, errors.Join(errs...))
}

// copyIn copies src into the store under dest (nil: untagged) and returns the image.
func (s *Store) copyIn(ctx context.Context, sys *types.SystemContext, src types.ImageReference, dest reference.Named, progress io.Writer) (*cstorage.Image, error) {
	if dest != nil {
		if _, ok := dest.(reference.Digested); ok {
			// The store keeps digested names as repo@digest; the ID comes from the config.
		} else {
			dest = reference.TagNameOnly(dest)
		}
	}
	var id string
	var err error
	if dest == nil {
		// An untagged image is stored under its config digest, as containers/image
		// would; the reference needs it up front.
		if id, err = configID(ctx, sys, src); err != nil {
			return nil, err
		}
	}
	destRef, err := is.Transport.NewStoreReference(s.Store, dest, id)
	if err != nil {
		return nil, fmt.Errorf("destination %v: %w", dest, err)
	}
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	guard, err := s.beginCopy()
	if err != nil {
		return nil, err
	}
	m, err := copy.Image(ctx, pc, destRef, src, &copy.Options{
		ReportWriter:   progress,
		SourceCtx:      sys,
		DestinationCtx: sys,
	})
	guard.end(err != nil)
	if err != nil {
		return nil, err
	}
	return s.imageForManifest(m)
}

// imageForManifest finds the stored image that a copy wrote: containers/storage names
// an image that arrived without an ID after its config digest.
func (s *Store) imageForManifest(m []byte) (*cstorage.Image, error) {
	parsed, err := manifest.FromBlob(m, manifest.GuessMIMEType(m))
	if err != nil {
		return nil, fmt.Errorf("parsing copied manifest: %w", err)
	}
	id := parsed.ConfigInfo().Digest.Encoded()
	img, err := s.Image(id)
	if err != nil {
		return nil, fmt.Errorf("finding copied image %s: %w", id, err)
	}
	return img, nil
}

// configID returns the hex config digest of the image at ref.
func configID(ctx context.Context, sys *types.SystemContext, ref types.ImageReference) (string, error) {
	img, err := ref.NewImage(ctx, sys)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", transports.ImageName(ref), err)
	}
	defer img.Close()
	return img.ConfigInfo().Digest.Encoded(), nil
}

// archiveTag returns the first tag recorded in a docker archive, or nil.
func archiveTag(sys *types.SystemContext, ref types.ImageReference) (reference.Named, error) {
	r, _, err := dockerarchive.NewReaderForReference(sys, ref)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tags, err := r.ManifestTagsForReference(ref)
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(tags[0])
	if err != nil {
		return nil, nil
	}
	return named, nil
}

// localName names an image that came from a path (dir:, oci:) the way podman does:
// "localhost/" + the path without its leading slash. nil when that is no valid name.
func localName(within string) reference.Named {
	n := "localhost/" + strings.TrimLeft(within, "/")
	named, err := reference.ParseNormalizedNamed(n)
	if err != nil {
		return nil
	}
	return named
}
