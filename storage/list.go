package storage

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	cstorage "go.podman.io/storage"
)

// ImageSummary is one image as `images --format json` prints it (podman's fields).
type ImageSummary struct {
	ID          string            `json:"Id"`
	ParentID    string            `json:"ParentId"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Size        int64             `json:"Size"`
	SharedSize  int64             `json:"SharedSize"`
	VirtualSize int64             `json:"VirtualSize"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
	Names       []string          `json:"Names"`
	Digest      string            `json:"Digest"`
	History     []string          `json:"History"`
	Created     int64             `json:"Created"`
	CreatedAt   time.Time         `json:"CreatedAt"`
	Dangling    bool              `json:"Dangling"`

	intermediate bool
	topLayer     string
}

// ListOptions configure ListImages.
type ListOptions struct {
	All     bool     // include intermediate images
	Labels  bool     // read each image's labels (for JSON output)
	Filters []string // podman filters: dangling, label, reference, before, since, id, until
}

// ListImages returns the local images, newest first.
func (s *Store) ListImages(opts ListOptions) ([]ImageSummary, error) {
	images, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	layers, err := s.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	containers, err := s.Containers()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	byID := make(map[string]cstorage.Layer, len(layers))
	for _, l := range layers {
		byID[l.ID] = l
	}
	byTop := map[string]string{} // top layer -> image id
	for _, img := range images {
		byTop[img.TopLayer] = img.ID
	}
	hasChild := map[string]bool{}
	out := make([]ImageSummary, 0, len(images))
	for _, img := range images {
		sum := summarize(img, byID)
		for l := byID[img.TopLayer].Parent; l != ""; l = byID[l].Parent {
			if p, ok := byTop[l]; ok {
				sum.ParentID = p
				hasChild[p] = true
				break
			}
		}
		for _, c := range containers {
			if c.ImageID == img.ID {
				sum.Containers++
			}
		}
		out = append(out, sum)
	}
	for i := range out {
		if len(out[i].Names) == 0 {
			out[i].intermediate = hasChild[out[i].ID]
			out[i].Dangling = !out[i].intermediate
		}
	}
	f, err := s.parseFilters(opts.Filters, out)
	if err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, sum := range out {
		if sum.intermediate && !opts.All {
			continue
		}
		if (f.needsLabels || opts.Labels) && sum.Labels == nil {
			sum.Labels = s.imageLabels(sum.ID)
		}
		if f.match(&sum) {
			kept = append(kept, sum)
		}
	}
	sortNewestFirst(kept)
	return kept, nil
}

func summarize(img cstorage.Image, layers map[string]cstorage.Layer) ImageSummary {
	var size int64
	for l := img.TopLayer; l != ""; l = layers[l].Parent {
		if sz := layers[l].UncompressedSize; sz > 0 {
			size += sz
		}
	}
	sum := ImageSummary{
		ID: img.ID, Size: size, VirtualSize: size, Names: img.Names,
		Digest: img.Digest.String(), History: img.NamesHistory,
		Created: img.Created.Unix(), CreatedAt: img.Created, topLayer: img.TopLayer,
	}
	for _, n := range img.Names {
		named, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		if _, ok := named.(reference.NamedTagged); ok {
			sum.RepoTags = append(sum.RepoTags, n)
		}
		if img.Digest != "" {
			if d, err := reference.WithDigest(reference.TrimNamed(named), img.Digest); err == nil {
				sum.RepoDigests = appendUnique(sum.RepoDigests, d.String())
			}
		}
	}
	return sum
}

// imageLabels reads the labels of an image's config; nil when it has none.
func (s *Store) imageLabels(id string) map[string]string {
	cfg, err := s.imageConfig(id)
	if err != nil || cfg == nil {
		return nil
	}
	return cfg.Config.Labels
}

// imageConfig reads the OCI config stored with an image.
func (s *Store) imageConfig(id string) (*imgspec.Image, error) {
	img, err := s.Image(id)
	if err != nil {
		return nil, err
	}
	// containers/image stores the config under its digest ("sha256:..."), next to
	// manifests under "manifest-sha256:...".
	key := ""
	for _, k := range img.BigDataNames {
		if strings.HasPrefix(k, "sha256:") {
			key = k
			break
		}
	}
	if key == "" {
		return nil, nil
	}
	b, err := s.ImageBigData(img.ID, key)
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", shortID(id), err)
	}
	var cfg imgspec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("parsing config of %s: %w", shortID(id), err)
	}
	return &cfg, nil
}

// Repository and tag of one image name for table output; "<none>" when absent.
func SplitName(name string) (repo, tag string) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "<none>", "<none>"
	}
	repo, tag = named.Name(), "<none>"
	if t, ok := named.(reference.NamedTagged); ok {
		tag = t.Tag()
	}
	return repo, tag
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}
