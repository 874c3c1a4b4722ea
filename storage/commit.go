package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// NewImageOptions describe an image that NewImage makes on top of a parent image.
type NewImageOptions struct {
	// Parent is the id of the image the new one extends; "" for none (FROM scratch).
	Parent string
	// Diff is a layer (a container's, or a scratch layer the builder wrote into)
	// whose changes against the parent's top layer become the new image's top layer;
	// "" adds no layer: a config-only image on the parent's top layer.
	Diff string
	// Config is the new image's config, its History entry for this change included;
	// RootFS is filled in here.
	Config imgspec.Image
	// Names are normalised names (NormalizeName); one another image had moves here.
	Names []string
	// Metadata is kept in the store's image record (the builder's cache key).
	Metadata string
	// BigData are extra items kept with the image (the builder's step configs);
	// their names must not look like a digest or a manifest key.
	BigData map[string][]byte
}

// NewImage writes an image into the store without containers/image: the diff of
// o.Diff is applied as a new layer straight from the driver (one temporary file,
// no compression), then the record is made with its config and an OCI manifest
// whose layers are named by their uncompressed digests, which containers/image's
// storage transport resolves for save and push. Nothing is left behind on error.
func (s *Store) NewImage(ctx context.Context, o NewImageOptions) (*cstorage.Image, error) {
	var parent *cstorage.Image
	if o.Parent != "" {
		p, err := s.Image(o.Parent)
		if err != nil {
			return nil, fmt.Errorf("parent image %s: %w", shortID(o.Parent), err)
		}
		parent = p
	}
	top := ""
	if parent != nil {
		top = parent.TopLayer
	}
	var added *cstorage.Layer // a layer made here, not one reused
	if o.Diff != "" {
		l, created, err := s.layerFromDiff(ctx, top, o.Diff)
		if err != nil {
			return nil, err
		}
		if created {
			added = l
		}
		top = l.ID
	}
	img, err := s.recordImage(top, o)
	if err != nil && added != nil {
		_ = s.DeleteLayer(added.ID)
	}
	return img, err
}

// recordImage writes the config and manifest of an image whose top layer is top
// and creates its record.
func (s *Store) recordImage(top string, o NewImageOptions) (*cstorage.Image, error) {
	chain, err := s.layerChain(top)
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	if cfg.Created == nil {
		now := time.Now().UTC()
		cfg.Created = &now
	}
	cfg.RootFS = imgspec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	layers := make([]imgspec.Descriptor, 0, len(chain))
	for _, l := range chain {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.UncompressedDigest)
		layers = append(layers, imgspec.Descriptor{MediaType: imgspec.MediaTypeImageLayer, Digest: l.UncompressedDigest, Size: l.UncompressedSize})
	}
	cfgBlob, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding image config: %w", err)
	}
	cfgDigest := digest.FromBytes(cfgBlob)
	m := manifest.OCI1FromComponents(imgspec.Descriptor{MediaType: imgspec.MediaTypeImageConfig, Digest: cfgDigest, Size: int64(len(cfgBlob))}, layers)
	manBlob, err := m.Serialize()
	if err != nil {
		return nil, fmt.Errorf("encoding image manifest: %w", err)
	}
	manDigest := digest.FromBytes(manBlob)
	id := cfgDigest.Encoded()
	bigData := []cstorage.ImageBigDataOption{
		{Key: cfgDigest.String(), Data: cfgBlob, Digest: cfgDigest},
		{Key: cstorage.ImageDigestBigDataKey, Data: manBlob, Digest: manDigest},
		{Key: cstorage.ImageDigestManifestBigDataNamePrefix + "-" + manDigest.String(), Data: manBlob, Digest: manDigest},
	}
	for k, v := range o.BigData {
		bigData = append(bigData, cstorage.ImageBigDataOption{Key: k, Data: v, Digest: digest.FromBytes(v)})
	}
	img, err := s.CreateImage(id, nil, top, o.Metadata, &cstorage.ImageOptions{
		CreationDate: *cfg.Created, Digest: manDigest, BigData: bigData,
	})
	if errors.Is(err, cstorage.ErrDuplicateID) {
		// The same config (hence the same layers): that image is this one.
		img, err = s.Image(id)
	}
	if err != nil {
		return nil, fmt.Errorf("creating image: %w", err)
	}
	if len(o.Names) > 0 {
		if err := s.Tag(img.ID, o.Names...); err != nil {
			return nil, err
		}
		if img, err = s.Image(img.ID); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// layerChain returns the layers from the base up to top; each must know its
// uncompressed digest (every layer applied from a tar stream does).
func (s *Store) layerChain(top string) ([]*cstorage.Layer, error) {
	var chain []*cstorage.Layer
	for id := top; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("reading layer %s: %w", shortID(id), err)
		}
		if l.UncompressedDigest == "" {
			return nil, fmt.Errorf("layer %s: uncompressed digest unknown", shortID(id))
		}
		chain = append([]*cstorage.Layer{l}, chain...)
		id = l.Parent
	}
	return chain, nil
}

// layerFromDiff applies the changes of layer from (against its parent, which must
// be parentTop) as a read-only layer on parentTop, and tells whether it made a new
// one: a layer with the same parent and content is reused. The diff goes through a
// temporary file: the store holds its layer lock while a diff is read, and
// applying a layer takes the same lock.
func (s *Store) layerFromDiff(ctx context.Context, parentTop, from string) (*cstorage.Layer, bool, error) {
	src, err := s.Layer(from)
	if err != nil {
		return nil, false, fmt.Errorf("reading layer %s: %w", shortID(from), err)
	}
	if src.Parent != parentTop {
		return nil, false, fmt.Errorf("layer %s does not sit on layer %s", shortID(from), shortID(parentTop))
	}
	tmp, err := os.CreateTemp(s.SystemContext().BigFilesTemporaryDir, "diff-*.tar")
	if err != nil {
		return nil, false, fmt.Errorf("committing layer: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	uncompressed := archive.Uncompressed
	rc, err := s.Diff("", from, &cstorage.DiffOptions{Compression: &uncompressed})
	if err != nil {
		return nil, false, fmt.Errorf("reading changes of layer %s: %w", shortID(from), err)
	}
	diffID := digest.Canonical.Digester()
	_, err = io.Copy(io.MultiWriter(tmp, diffID.Hash()), &ctxReader{ctx: ctx, r: rc})
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading changes of layer %s: %w", shortID(from), err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, false, fmt.Errorf("committing layer: %w", err)
	}
	return s.putLayer(parentTop, tmp, diffID.Digest())
}

// chainLayerID is the id containers/image gives the layer with uncompressed digest
// diffID on parent (its storage transport's layerID, for a layer not identified by
// a TOC). Layers made with it are the ones a pull or load of the same image finds:
// with random ids, pulling back an image that was built here failed with "image
// with ID ... already exists, but uses a different top layer".
func chainLayerID(parent string, diffID digest.Digest) string {
	if parent == "" {
		return diffID.Encoded()
	}
	return digest.Canonical.FromString(parent + "+" + diffID.Encoded()).Encoded()
}

// putLayer applies an uncompressed layer tarball with digest diffID on parent,
// unless that layer exists already; it tells whether it made the layer.
func (s *Store) putLayer(parent string, r io.Reader, diffID digest.Digest) (*cstorage.Layer, bool, error) {
	id := chainLayerID(parent, diffID)
	if l, err := s.Layer(id); err == nil {
		return l, false, nil
	}
	l, _, err := s.PutLayer(id, parent, nil, "", false, nil, r)
	if errors.Is(err, cstorage.ErrDuplicateID) { // made meanwhile by another process
		if l, err := s.Layer(id); err == nil {
			return l, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("applying layer: %w", err)
	}
	return l, true, nil
}

// ctxReader stops a copy when its context is cancelled (^C during a commit).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ImageSpec returns the full OCI config of a local image (history, rootfs and
// runtime config); an image without one gets an empty config.
func (s *Store) ImageSpec(id string) (*imgspec.Image, error) {
	cfg, err := s.imageConfig(id)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &imgspec.Image{}
	}
	return cfg, nil
}

// ApplyChanges applies `--change` instructions in Dockerfile syntax (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL) to a config.
func ApplyChanges(c *imgspec.ImageConfig, changes []string) error {
	return applyChanges(c, changes)
}
