package cli

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// containerExistsCommand is podman's `container exists`: scripts test a container
// with its exit code alone (0: it exists, 1: it does not, 125: the check failed).
func containerExistsCommand() *cli.Command {
	return &cli.Command{Name: "exists", Usage: "exit 0 if the container exists, 1 if not", ArgsUsage: "CONTAINER",
		Action: containerExistsAction}
}

func containerExistsAction(c *cli.Context) error {
	name, err := oneArg(c, "container")
	if err != nil {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if _, err := r.Lookup(name); err != nil {
			if errors.Is(err, engine.ErrNoSuchContainer) {
				return withCode(1, errSilent)
			}
			return err
		}
		return nil
	})
}

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
