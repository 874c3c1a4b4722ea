package storage

import (
	"fmt"
	"slices"
)

// Tag adds names to a local image; a name another image had moves to this one.
func (s *Store) Tag(name string, tags ...string) error {
	img, err := s.LookupImage(name)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tags {
		ref, err := NormalizeName(t)
		if err != nil {
			return err
		}
		names = append(names, ref.String())
	}
	// Appended after the existing names, in podman's order; a name that another image
	// had moves to this one (containers/storage takes it from the other image).
	all := slices.Clone(img.Names)
	for _, n := range names {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	if err := s.SetNames(img.ID, all); err != nil { //nolint:staticcheck // AddNames prepends

		return fmt.Errorf("tagging %s: %w", name, err)
	}
	return nil
}

// Untag removes names from a local image; with no names it removes all of them.
func (s *Store) Untag(name string, tags ...string) error {
	img, err := s.LookupImage(name)
	if err != nil {
		return err
	}
	remove := img.Names
	if len(tags) > 0 {
		remove = nil
		for _, t := range tags {
			ref, err := NormalizeName(t)
			if err != nil {
				return err
			}
			if !slices.Contains(img.Names, ref.String()) {
				return fmt.Errorf("%s: %w", ref, ErrTagNotKnown) // podman's wording
			}
			remove = append(remove, ref.String())
		}
	}
	if len(remove) == 0 {
		return nil
	}
	if err := s.RemoveNames(img.ID, remove); err != nil {
		return fmt.Errorf("untagging %s: %w", name, err)
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
