package storage

import (
	"errors"
	"fmt"
	"strings"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	cstorage "go.podman.io/storage"
)

// NormalizeName returns name as the store keeps it, the way podman does: a name
// without a registry gets "localhost/", one without tag or digest gets ":latest".
func NormalizeName(name string) (reference.Named, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty name", ErrBadReference)
	}
	if strings.HasPrefix(name, "sha256:") {
		return nil, fmt.Errorf("%w %q: an image id is not a name", ErrBadReference, name)
	}
	full := name
	if !hasDomain(name) {
		full = "localhost/" + name
	}
	ref, err := reference.ParseNormalizedNamed(full)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadReference, name, err)
	}
	return reference.TagNameOnly(ref), nil
}

// hasDomain tells whether the first path component of name is a registry host.
func hasDomain(name string) bool {
	i := strings.IndexRune(name, '/')
	if i < 0 {
		return false
	}
	first := name[:i]
	return first == "localhost" || strings.ContainsAny(first, ".:")
}

// LookupImage finds a local image by name, full id, unique id prefix or "sha256:id".
// Short names are tried as localhost/NAME, then in each unqualified-search registry of
// registries.conf, then against any stored repository whose path ends in /NAME.
func (s *Store) LookupImage(name string) (*cstorage.Image, error) {
	id := strings.TrimPrefix(name, "sha256:")
	if isHexPrefix(id) && (len(id) == 64 || strings.HasPrefix(name, "sha256:")) {
		return s.imageByID(id, name)
	}
	for _, c := range s.candidates(name) {
		if img, err := s.Image(c); err == nil {
			return img, nil
		}
	}
	if isHexPrefix(id) {
		return s.imageByID(id, name)
	}
	if img := s.suffixMatch(name); img != nil {
		return img, nil
	}
	return nil, fmt.Errorf("%s: %w", name, ErrNoSuchImage)
}

func (s *Store) imageByID(id, name string) (*cstorage.Image, error) {
	images, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var found *cstorage.Image
	for i := range images {
		if strings.HasPrefix(images[i].ID, id) {
			if found != nil {
				return nil, fmt.Errorf("%s: %w", name, ErrAmbiguousID)
			}
			found = &images[i]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSuchImage)
	}
	return found, nil
}

func (s *Store) candidates(name string) []string {
	if strings.Contains(name, "://") {
		return nil
	}
	ref, err := NormalizeName(name)
	if err != nil {
		return nil
	}
	out := []string{ref.String()}
	if hasDomain(name) {
		return out
	}
	regs, err := sysregistriesv2.UnqualifiedSearchRegistries(s.sys)
	if err != nil {
		return out
	}
	for _, reg := range regs {
		if r, err := reference.ParseNormalizedNamed(reg + "/" + name); err == nil {
			out = append(out, reference.TagNameOnly(r).String())
		}
	}
	return out
}

// suffixMatch finds the one image with a name "REGISTRY/.../NAME:TAG" for a short name.
func (s *Store) suffixMatch(name string) *cstorage.Image {
	if hasDomain(name) {
		return nil
	}
	ref, err := NormalizeName(name)
	if err != nil {
		return nil
	}
	suffix := "/" + strings.TrimPrefix(ref.String(), "localhost/")
	images, err := s.Images()
	if err != nil {
		return nil
	}
	var found *cstorage.Image
	for i := range images {
		for _, n := range images[i].Names {
			if strings.HasSuffix(n, suffix) {
				if found != nil && found.ID != images[i].ID {
					return nil
				}
				found = &images[i]
			}
		}
	}
	return found
}

func isHexPrefix(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// IsNotFound tells whether err means that an image does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNoSuchImage) || errors.Is(err, cstorage.ErrImageUnknown)
}
