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

// withLister runs fn on a runtime that can list containers and read their state,
// made from the store's records without opening the store (ps); it opens the
// store when the records cannot be read that way.
func withLister(c *cli.Context, fn func(*engine.Runtime) error) error {
	paths, err := storage.ResolvePaths(storeOptionsOf(c))
	if err != nil {
		return err
	}
	recs, driver, ok, err := storage.ReadContainerRecords(paths)
	if err != nil || !ok {
		return withRuntime(c, fn)
	}
	paths.Driver = driver
	return fn(engine.NewLister(paths, recs))
}

// Exit codes of rm, as podman documents them; every other container command
// exits 125 for a missing container or one in the wrong state.
const (
	exitNoSuchContainer = 1   // rm of a container that does not exist
	exitCtrRunning      = 2   // rm of a running container without -f
	exitExecGeneric     = 255 // exec that failed after the container was found
)

// rmErr joins rm's errors and keeps the exit code of the first one.
func rmErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	switch {
	case errors.Is(errs[0], engine.ErrNoSuchContainer):
		return withCode(exitNoSuchContainer, err)
	case errors.Is(errs[0], engine.ErrCtrStateInvalid):
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
