package cli

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

// globalArgs rebuilds the store-selecting global flags for the monitor's helpers.
func globalArgs(c *cli.Context) []string {
	var out []string
	for _, f := range []string{"root", "runroot", "storage-driver", "registries-conf"} {
		if v := c.String(f); v != "" {
			out = append(out, "--"+f, v)
		}
	}
	return out
}

// withRuntime opens the store and a container runtime on it.
func withRuntime(c *cli.Context, fn func(*engine.Runtime) error) error {
	return withStore(c, func(s *storage.Store) error {
		r, err := engine.New(s, engine.Options{GlobalArgs: globalArgs(c)})
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// Exit codes of container commands, as podman documents them.
const (
	exitNoSuchContainer = 1 // rm, stop, kill ... of a container that does not exist
	exitCtrRunning      = 2 // rm of a running container without -f
)

// ctrErr picks the exit code for an error of a command on existing containers.
func ctrErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrNoSuchContainer):
		return withCode(exitNoSuchContainer, err)
	case errors.Is(err, engine.ErrCtrStateInvalid):
		return withCode(exitCtrRunning, err)
	}
	return err
}

// startErr picks the exit code for a container that could not be started.
func startErr(err error) error {
	var ee *engine.ExitError
	if errors.As(err, &ee) {
		return withCode(ee.Code, err)
	}
	return err
}
