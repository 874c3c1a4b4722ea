package cli

import (
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/shim/shimbin"
)

// Hidden entry points the monitor runs (internal/early): they are not for users.
func hiddenCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name: "__create", Hidden: true, ArgsUsage: "RUNDIR ID",
			Action: func(c *cli.Context) error {
				if c.NArg() != 2 {
					return fmt.Errorf("__create RUNDIR ID")
				}
				os.Exit(engine.CreateHelper(c.Args().Get(0), c.Args().Get(1)))
				return nil
			},
		},
		{
			// Which create helper this binary runs: tests check that bin/engine
			// carries the shim (internal/shim/shimbin).
			Name: "__shim", Hidden: true,
			Action: func(c *cli.Context) error {
				if !shimbin.Embedded() {
					return shimbin.ErrNotEmbedded
				}
				fmt.Fprintf(c.App.Writer, "engine-shim-%s\n", shimbin.ID())
				return nil
			},
		},
		{
			Name: "__cleanup", Hidden: true, ArgsUsage: "ID [EXITCODE]",
			Action: func(c *cli.Context) error {
				if c.NArg() < 1 {
					return fmt.Errorf("__cleanup ID")
				}
				code := -1
				if c.NArg() > 1 {
					code, _ = strconv.Atoi(c.Args().Get(1))
				}
				return withRuntime(c, func(r *engine.Runtime) error {
					return r.Cleanup(c.Args().First(), code)
				})
			},
		},
	}
}
