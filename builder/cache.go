package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/engine-dev/engine/storage"
)

// Keys of an image record's metadata: the image's own cache key, and the key
// of the step whose layer is its top layer when the image took that step's
// place (its config for the step is then kept as big data, stepConfigData).
const (
	cacheMetaKey   = "engine.build.cache"
	stepMetaKey    = "engine.build.step"
	stepConfigData = "engine-build-step-config"
)

// cache maps chain keys to the images that builds made for them.
type cache struct {
	images map[string]string // key -> image id
	steps  map[string]string // step key -> image id whose stepConfigData is the step's config
}

// loadCache reads the keys of every image in the store, once per build.
func loadCache(s *storage.Store) (*cache, error) {
	imgs, err := s.Images()
	if err != nil {
		return nil, err
	}
	c := &cache{images: map[string]string{}, steps: map[string]string{}}
	for _, img := range imgs {
		if !strings.Contains(img.Metadata, cacheMetaKey) {
			continue
		}
		var m map[string]string
		if json.Unmarshal([]byte(img.Metadata), &m) != nil {
			continue
		}
		if m[cacheMetaKey] != "" {
			c.images[m[cacheMetaKey]] = img.ID
		}
		if m[stepMetaKey] != "" {
			c.steps[m[stepMetaKey]] = img.ID
		}
	}
	return c, nil
}

// lookup returns the image made for key; step tells that the image only
// carries the step's layer and keeps the step's config as stepConfigData.
func (c *cache) lookup(key string) (id string, step bool, ok bool) {
	if id, ok := c.images[key]; ok {
		return id, false, true
	}
	id, ok = c.steps[key]
	return id, true, ok
}

func (c *cache) add(key, id string) { c.images[key] = id }

func (c *cache) forget(key string) { delete(c.images, key) }

// meta is what a build records in an image's metadata: its key and the step
// whose place it took.
type meta struct {
	key, step string
}

func (m meta) String() string {
	out := map[string]string{cacheMetaKey: m.key}
	if m.step != "" {
		out[stepMetaKey] = m.step
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// chain extends a cache key with the parts of one step.
func chain(prev string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(prev))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
