package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	cfilters "go.podman.io/common/pkg/filters"
)

// psMoreFilter is podman's ps filters beyond status, name, id, label, ancestor
// and exited: since= and before= another container (created after or before it),
// until= a time or a duration ago, and network= a network the container is on.
// ok is false for a key podman's ps does not know either.
func psMoreFilter(k, v string, created func(string) (time.Time, error)) (pred func(*Summary) bool, ok bool, err error) {
	switch k {
	case "since", "before":
		t, err := created(v)
		if err != nil {
			return nil, true, err
		}
		if k == "since" {
			return func(s *Summary) bool { return s.created.After(t) }, true, nil
		}
		return func(s *Summary) bool { return s.created.Before(t) }, true, nil
	case "until":
		t, err := cfilters.ComputeUntilTimestamp([]string{v})
		if err != nil {
			return nil, true, fmt.Errorf("invalid filter %q: %v: %w", k+"="+v, err, ErrInvalidArg)
		}
		return func(s *Summary) bool { return s.created.Before(t) }, true, nil
	case "network":
		return func(s *Summary) bool { return slices.Contains(s.Networks, v) }, true, nil
	}
	return nil, false, nil
}

// createdOf returns a lookup of a container's creation time by name, full id or
// unique id prefix among ctrs (since= and before=).
func createdOf(ctrs []*Container) func(string) (time.Time, error) {
	return func(ref string) (time.Time, error) {
		var found *Container
		for _, c := range ctrs {
			if c.Name == ref || c.ID == ref {
				return c.Config.Created, nil
			}
			if strings.HasPrefix(c.ID, ref) {
				if found != nil {
					return time.Time{}, fmt.Errorf("more than one container matches %q: %w", ref, ErrInvalidArg)
				}
				found = c
			}
		}
		if found == nil {
			return time.Time{}, fmt.Errorf("no container with name or ID %q found: %w", ref, ErrNoSuchContainer)
		}
		return found.Config.Created, nil
	}
}
