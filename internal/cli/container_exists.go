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
