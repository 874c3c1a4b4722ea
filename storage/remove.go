package storage

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	cstorage "go.podman.io/storage"
)

// RemoveOptions configure RemoveImages.
type RemoveOptions struct {
	Force  bool // remove images that containers use (and those containers), or with several names by id
	All    bool // remove every image
	Ignore bool // skip names that match no image (podman's rmi --ignore; Force implies it)
}

// RemoveReport lists what RemoveImages did, in order.
type RemoveReport struct {
	Untagged []string
	Deleted  []string
}

// RemoveImages removes the named images (or all). Naming an image by one of several
// names only removes that name, as podman does. It goes on past failures and returns
// them all; errors wrap ErrNoSuchImage or ErrImageInUse so callers can pick an exit code.
// With Force an unknown name is skipped silently, as podman's `rmi -f` does (CI
// cleanup steps run `rmi -f NAME` whether or not NAME was built).
func (s *Store) RemoveImages(names []string, opts RemoveOptions) (RemoveReport, error) {
	var rep RemoveReport
	var errs []error
	if opts.All {
		imgs, err := s.Images()
		if err != nil {
			return rep, fmt.Errorf("listing images: %w", err)
		}
		// Children before parents, so that each removal frees its own layers.
		depth := s.layerDepths()
		sort.Slice(imgs, func(i, j int) bool { return depth[imgs[i].TopLayer] > depth[imgs[j].TopLayer] })
		for _, img := range imgs {
			if err := s.removeImage(&img, "", opts, &rep, true); err != nil {
				errs = append(errs, err)
			}
		}
		return rep, errors.Join(errs...)
	}
	for _, name := range names {
		img, err := s.LookupImage(name)
		if err != nil {
			if !(opts.Force || opts.Ignore) || !IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		if err := s.removeImage(img, name, opts, &rep, false); err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// ImagesToDelete returns the ids of the images RemoveImages would delete, not
// just untag, with the same names and options; unknown names are skipped. The CLI
// removes their containers through the engine first (stopping running ones), since
// RemoveImages can only drop container records.
func (s *Store) ImagesToDelete(names []string, opts RemoveOptions) ([]string, error) {
	var ids []string
	if opts.All {
		imgs, err := s.Images()
		if err != nil {
			return nil, fmt.Errorf("listing images: %w", err)
		}
		for _, img := range imgs {
			ids = append(ids, img.ID)
		}
		return ids, nil
	}
	for _, name := range names {
		img, err := s.LookupImage(name)
		if err != nil {
			continue
		}
		if len(img.Names) > 1 {
			if ref, err := NormalizeName(name); err == nil && slices.Contains(img.Names, ref.String()) {
				continue // only untagged
			}
		}
		ids = append(ids, img.ID)
	}
	return ids, nil
}

func (s *Store) removeImage(img *cstorage.Image, asked string, opts RemoveOptions, rep *RemoveReport, all bool) error {
	if asked != "" && len(img.Names) > 1 {
		if ref, err := NormalizeName(asked); err == nil && slices.Contains(img.Names, ref.String()) {
			if err := s.RemoveNames(img.ID, []string{ref.String()}); err != nil {
				return fmt.Errorf("untagging %s: %w", asked, err)
			}
			rep.Untagged = append(rep.Untagged, ref.String())
			return nil
		}
		if !opts.Force {
			return fmt.Errorf("unable to delete image %s by ID with more than one tag (%v): please force removal", shortID(img.ID), img.Names)
		}
	}
	users, err := s.containersOf(img.ID)
	if err != nil {
		return err
	}
	if len(users) > 0 && !opts.Force {
		// podman's wording, which scripts match: "image used by ID: image is in use by a container: ..."
		return fmt.Errorf("image used by %s: %w by a container: consider listing external containers and force-removing image", users[0], ErrImageInUse)
	}
	if !all && !opts.Force && s.hasChildren(img) {
		return fmt.Errorf("image %s has dependent child images: %w", shortID(img.ID), ErrImageInUse)
	}
	for _, c := range users {
		if err := s.DeleteContainer(c); err != nil {
			return fmt.Errorf("removing container %s of image %s: %w", shortID(c), shortID(img.ID), err)
		}
	}
	if _, err := s.DeleteImage(img.ID, true); err != nil {
		return fmt.Errorf("removing image %s: %w", shortID(img.ID), err)
	}
	rep.Untagged = append(rep.Untagged, img.Names...)
	rep.Deleted = append(rep.Deleted, img.ID)
	return nil
}

func (s *Store) containersOf(imageID string) ([]string, error) {
	cs, err := s.Containers()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var ids []string
	for _, c := range cs {
		if c.ImageID == imageID {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// hasChildren tells whether another image is built on top of img's layers.
func (s *Store) hasChildren(img *cstorage.Image) bool {
	layers, err := s.Layers()
	if err != nil {
		return false
	}
	parent := make(map[string]string, len(layers))
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	imgs, err := s.Images()
	if err != nil {
		return false
	}
	for _, other := range imgs {
		if other.ID == img.ID {
			continue
		}
		for l := parent[other.TopLayer]; l != ""; l = parent[l] {
			if l == img.TopLayer {
				return true
			}
		}
	}
	return false
}

// layerDepths maps each layer to its number of ancestors.
func (s *Store) layerDepths() map[string]int {
	layers, _ := s.Layers()
	parent := make(map[string]string, len(layers))
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	depth := make(map[string]int, len(layers))
	for id := range parent {
		n := 0
		for l := parent[id]; l != ""; l = parent[l] {
			n++
		}
		depth[id] = n
	}
	return depth
}
