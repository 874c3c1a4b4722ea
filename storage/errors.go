package storage

import "errors"

var (
	// ErrNoSuchImage is returned when a name, id or id prefix matches no local image.
	ErrNoSuchImage = errors.New("image not known")
	// ErrAmbiguousID is returned for an id prefix that matches several images.
	ErrAmbiguousID = errors.New("id prefix matches more than one image")
	// ErrImageInUse is returned when an image is used by a container or has children.
	ErrImageInUse = errors.New("image is in use")
	// ErrTagNotKnown is returned by Untag for a name the image does not have.
	ErrTagNotKnown = errors.New("tag not known")
	// ErrBadReference is returned for a reference that cannot be parsed.
	ErrBadReference = errors.New("invalid reference")
)
