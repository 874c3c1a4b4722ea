package storage

import (
	"time"
)

// HistoryEntry is one row of `history`, newest first (podman's JSON field names).
type HistoryEntry struct {
	ID        string     `json:"id"`
	Created   *time.Time `json:"created"`
	CreatedBy string     `json:"CreatedBy"`
	Size      int64      `json:"size"`
	Comment   string     `json:"comment"`
	Tags      []string   `json:"tags,omitempty"`
}

// History returns the build history of a local image, newest entry first. Entries
// that made a layer carry its size; the newest entry carries the image id, older ones
// the id of a local image whose top layer they made, or "<missing>".
func (s *Store) History(name string) ([]HistoryEntry, error) {
	img, err := s.LookupImage(name)
	if err != nil {
		return nil, err
	}
	cfg, err := s.imageConfig(img.ID)
	if err != nil {
		return nil, err
	}
	layers, err := s.Layers()
	if err != nil {
		return nil, err
	}
	parent := map[string]string{}
	size := map[string]int64{}
	for _, l := range layers {
		parent[l.ID], size[l.ID] = l.Parent, l.UncompressedSize
	}
	var chain []string // base first
	for l := img.TopLayer; l != ""; l = parent[l] {
		chain = append([]string{l}, chain...)
	}
	imgs, err := s.Images()
	if err != nil {
		return nil, err
	}
	byTop := map[string]string{}
	for _, i := range imgs {
		byTop[i.TopLayer] = i.ID
	}
	var out []HistoryEntry
	if cfg == nil {
		return out, nil
	}
	li := 0
	for _, h := range cfg.History {
		e := HistoryEntry{ID: "<missing>", Created: h.Created, CreatedBy: h.CreatedBy, Comment: h.Comment}
		if !h.EmptyLayer && li < len(chain) {
			e.Size = size[chain[li]]
			// The image itself is named on the newest entry only: when config-only
			// steps end a build, the layer's step has no image of its own.
			if id, ok := byTop[chain[li]]; ok && id != img.ID {
				e.ID = id
			}
			li++
		}
		out = append([]HistoryEntry{e}, out...)
	}
	if len(out) > 0 {
		out[0].ID, out[0].Tags = img.ID, img.Names
	}
	return out, nil
}
