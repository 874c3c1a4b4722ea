package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/engine-dev/engine/storage"
)

// cacheMetaKey names the cache key in an image record's metadata.
const cacheMetaKey = "engine.build.cache"

// cache maps chain keys to the images that builds made for them.
type cache struct {
	images map[string]string // key -> image id
}

// loadCache reads the keys of every image in the store, once per build.
func loadCache(s *storage.Store) (*cache, error) {
	imgs, err := s.Images()
	if err != nil {
		return nil, err
	}
	c := &cache{images: map[string]string{}}
	for _, img := range imgs {
		if !strings.Contains(img.Metadata, cacheMetaKey) {
			continue
		}
		var m map[string]string
		if json.Unmarshal([]byte(img.Metadata), &m) == nil && m[cacheMetaKey] != "" {
			c.images[m[cacheMetaKey]] = img.ID
		}
	}
	return c, nil
}

func (c *cache) lookup(key string) (string, bool) {
	id, ok := c.images[key]
	return id, ok
}

func (c *cache) add(key, id string) { c.images[key] = id }

// metadata is the image record metadata that marks an image as made for key,
// on top of parent without a layer of its own when parent is not "" (see
// storage.BuildParents).
func metadata(key, parent string) string {
	m := map[string]string{cacheMetaKey: key}
	if parent != "" {
		m[storage.BuildParentKey] = parent
	}
	b, _ := json.Marshal(m)
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
