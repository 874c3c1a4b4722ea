package storage

import (
	"encoding/json"
	"strings"

	cstorage "go.podman.io/storage"
)

// BuildParentKey names, in an image record's metadata, the image a build made
// the image on top of without a layer of its own (a stage that ends with
// config-only instructions): the two share their top layer.
const BuildParentKey = "engine.build.parent"

// BuildParents returns the images that a later build image extends on the same
// top layer. They are intermediate images (the later one is their child, as in
// podman's layer tree), not dangling ones, although no image has a layer above
// theirs: ListImages marks them so.
func BuildParents(images []cstorage.Image) map[string]bool {
	out := map[string]bool{}
	top := make(map[string]string, len(images))
	for _, img := range images {
		top[img.ID] = img.TopLayer
	}
	for _, img := range images {
		if !strings.Contains(img.Metadata, BuildParentKey) {
			continue
		}
		var m map[string]string
		if json.Unmarshal([]byte(img.Metadata), &m) != nil {
			continue
		}
		if p := m[BuildParentKey]; p != "" && p != img.ID && top[p] == img.TopLayer {
			out[p] = true
		}
	}
	return out
}
