package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// mountFlags are create/run's mount flags (issue #4).
func mountFlags() []cli.Flag { return nil }

func mountOptions(c *cli.Context) (engine.MountOptions, error) { return engine.MountOptions{}, nil }

// volumeCommands are `engine volume ...`.
func volumeCommands() []*cli.Command { return nil }
