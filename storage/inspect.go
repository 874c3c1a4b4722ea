package storage

import (
	"fmt"
	"strings"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
)

// ImageData is `image inspect` output, with the field names podman and docker use.
type ImageData struct {
	ID           string              `json:"Id"`
	Digest       string              `json:"Digest"`
	RepoTags     []string            `json:"RepoTags"`
	RepoDigests  []string            `json:"RepoDigests"`
	Parent       string              `json:"Parent"`
	Comment      string              `json:"Comment"`
	Created      *time.Time          `json:"Created,omitempty"`
	Config       imgspec.ImageConfig `json:"Config"`
	Version      string              `json:"Version"`
	Author       string              `json:"Author"`
	Architecture string              `json:"Architecture"`
	Os           string              `json:"Os"`
	Size         int64               `json:"Size"`
	VirtualSize  int64               `json:"VirtualSize"`
	GraphDriver  GraphDriver         `json:"GraphDriver"`
	RootFS       RootFS              `json:"RootFS"`
	Labels       map[string]string   `json:"Labels"`
	Annotations  map[string]string   `json:"Annotations"`
	ManifestType string              `json:"ManifestType"`
	User         string              `json:"User"`
	History      []imgspec.History   `json:"History"`
	NamesHistory []string            `json:"NamesHistory"`
}

// GraphDriver names the storage driver and its per-layer data (overlay dirs).
type GraphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// RootFS lists the image's layer diff ids.
type RootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// InspectImage returns the inspect record of a local image.
func (s *Store) InspectImage(name string) (*ImageData, error) {
	img, err := s.LookupImage(name)
	if err != nil {
		return nil, err
	}
	sums, err := s.ListImages(ListOptions{All: true, Filters: []string{"id=" + img.ID}})
	if err != nil {
		return nil, err
	}
	if len(sums) != 1 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSuchImage)
	}
	sum := sums[0]
	d := &ImageData{
		ID: img.ID, Digest: img.Digest.String(), RepoTags: nonNil(sum.RepoTags),
		RepoDigests: nonNil(sum.RepoDigests), Parent: sum.ParentID, Size: sum.Size,
		VirtualSize: sum.Size, NamesHistory: nonNil(img.NamesHistory),
		RootFS: RootFS{Type: "layers", Layers: []string{}}, History: []imgspec.History{},
	}
	cfg, err := s.imageConfig(img.ID)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		d.Created, d.Config, d.Author = cfg.Created, cfg.Config, cfg.Author
		d.Architecture, d.Os, d.Labels, d.User = cfg.Architecture, cfg.OS, cfg.Config.Labels, cfg.Config.User
		for _, l := range cfg.RootFS.DiffIDs {
			d.RootFS.Layers = append(d.RootFS.Layers, l.String())
		}
		if cfg.History != nil {
			d.History = cfg.History
		}
		if n := len(cfg.History); n > 0 {
			d.Comment = cfg.History[n-1].Comment
		}
	}
	if m, mimeType, err := s.imageManifest(img); err == nil {
		d.ManifestType = mimeType
		if oci, err := manifest.OCI1FromManifest(m); err == nil && mimeType == imgspec.MediaTypeImageManifest {
			d.Annotations = oci.Annotations
		}
	}
	d.GraphDriver = s.graphDriver(img.TopLayer)
	return d, nil
}

func (s *Store) imageManifest(img *cstorage.Image) ([]byte, string, error) {
	key := cstorage.ImageDigestBigDataKey
	if img.Digest != "" {
		k := cstorage.ImageDigestManifestBigDataNamePrefix + "-" + img.Digest.String()
		for _, n := range img.BigDataNames {
			if n == k {
				key = k
			}
		}
	}
	m, err := s.ImageBigData(img.ID, key)
	if err != nil {
		return nil, "", err
	}
	return m, manifest.GuessMIMEType(m), nil
}

func (s *Store) graphDriver(topLayer string) GraphDriver {
	gd := GraphDriver{Name: s.GraphDriverName(), Data: map[string]string{}}
	if topLayer == "" {
		return gd
	}
	drv, err := s.GraphDriver()
	if err != nil {
		return gd
	}
	if md, err := drv.Metadata(topLayer); err == nil {
		for k, v := range md {
			if !strings.HasPrefix(k, "_") {
				gd.Data[k] = v
			}
		}
	}
	return gd
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// ImageConfig returns the runtime config (Env, Cmd, Entrypoint, ...) of a local image.
func (s *Store) ImageConfig(id string) (imgspec.ImageConfig, error) {
	cfg, err := s.imageConfig(id)
	if err != nil || cfg == nil {
		return imgspec.ImageConfig{}, err
	}
	return cfg.Config, nil
}
