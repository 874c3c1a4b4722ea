package cli

import (
	"errors"

	"github.com/engine-dev/engine/engine"
)

// lookupAll finds every named container before a command acts on any, as podman:
// one missing name fails the command with nothing done, unless skipMissing
// (--ignore, rm -f) drops it. It returns the containers and the names they were
// given as.
func lookupAll(r *engine.Runtime, names []string, skipMissing bool) ([]*engine.Container, []string, error) {
	ctrs := make([]*engine.Container, 0, len(names))
	found := make([]string, 0, len(names))
	for _, name := range names {
		ctr, err := r.Lookup(name)
		if err != nil {
			if skipMissing && errors.Is(err, engine.ErrNoSuchContainer) {
				continue
			}
			return nil, nil, err
		}
		ctrs = append(ctrs, ctr)
		found = append(found, name)
	}
	return ctrs, found, nil
}
