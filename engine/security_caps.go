package engine

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/capabilities"
)

// normalizeCaps checks --cap-add and --cap-drop against the kernel's capabilities
// and writes them as CAP_X (ALL stays ALL), podman's way.
func normalizeCaps(add, drop []string) ([]string, []string, error) {
	a, err := capabilities.NormalizeCapabilities(add)
	if err != nil {
		return nil, nil, capErr(err)
	}
	d, err := capabilities.NormalizeCapabilities(drop)
	if err != nil {
		return nil, nil, capErr(err)
	}
	// The merge reports contradictions (ALL and ALL, X added and dropped) now.
	if _, err := capabilities.MergeCapabilities(defaultCaps, a, d); err != nil {
		return nil, nil, capErr(err)
	}
	if len(a) == 0 {
		a = nil
	}
	if len(d) == 0 {
		d = nil
	}
	return a, d, nil
}

// capErr makes the library's error (`"CAP_FOO": unknown capability`, podman's
// wording) an invalid argument.
func capErr(err error) error { return fmt.Errorf("%v: %w", err, ErrInvalidArg) }

// checkCapsAvailable refuses to add a capability this process does not have in
// its bounding set (root without CAP_SYS_RESOURCE here): the container could not
// get it, and failing now says why.
func checkCapsAvailable(add []string) error {
	bounding, err := capabilities.BoundingSet()
	if err != nil {
		return nil
	}
	for _, c := range add {
		if c != capabilities.All && !slices.Contains(bounding, c) {
			return fmt.Errorf("cannot add capability %s: the engine does not have it in its bounding set: %w", c, ErrInvalidArg)
		}
	}
	return nil
}

// containerCaps is the capability set of the container: all the engine has for
// --privileged, else docker's default set with --cap-add/--cap-drop applied.
func (sc *SecurityConfig) containerCaps() ([]string, error) {
	if sc.Privileged {
		return capabilities.BoundingSet()
	}
	return capabilities.MergeCapabilities(defaultCaps, sc.CapAdd, sc.CapDrop)
}

// specCaps sets the process's capabilities. Root in the container gets the whole
// set; another user gets them in the bounding set only, plus what --cap-add named
// (also as ambient capabilities, so that they survive the exec), as podman does.
func (sc *SecurityConfig) specCaps(p *specs.Process) error {
	caps, err := sc.containerCaps()
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	c := &specs.LinuxCapabilities{Bounding: caps}
	if p.User.UID == 0 {
		c.Effective, c.Permitted = caps, caps
	} else {
		added := sc.addedCaps(caps)
		c.Effective, c.Permitted, c.Inheritable, c.Ambient = added, added, added, added
	}
	p.Capabilities = c
	return nil
}

// addedCaps is what --cap-add gives a non-root user: the named capabilities that
// are in caps, or all of caps for ALL.
func (sc *SecurityConfig) addedCaps(caps []string) []string {
	var added []string
	for _, a := range sc.CapAdd {
		if a == capabilities.All {
			return caps
		}
		if slices.Contains(caps, a) {
			added = append(added, a)
		}
	}
	return added
}
