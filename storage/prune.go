package storage

import "fmt"

// PruneOptions configure PruneImages.
type PruneOptions struct {
	All     bool     // also images that are tagged but used by no container
	Filters []string // as for ListImages
}

// PruneImages removes dangling images (with All, every image no container uses),
// repeating until nothing more goes, and returns the removed ids.
func (s *Store) PruneImages(opts PruneOptions) ([]string, error) {
	var removed []string
	for {
		sums, err := s.ListImages(ListOptions{All: true, Filters: opts.Filters})
		if err != nil {
			return removed, err
		}
		progress := false
		for _, sum := range sums {
			if sum.Containers > 0 || sum.intermediate || !(sum.Dangling || opts.All) {
				continue
			}
			if _, err := s.DeleteImage(sum.ID, true); err != nil {
				return removed, fmt.Errorf("pruning image %s: %w", shortID(sum.ID), err)
			}
			removed = append(removed, sum.ID)
			progress = true
		}
		if !progress {
			return removed, nil
		}
	}
}
