package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// networkFlags are create/run's network flags (issue #5).
func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Value: "none"},
	}
}

func networkOptions(c *cli.Context) (engine.NetOptions, error) {
	n := c.String("network")
	if n != "none" {
		return engine.NetOptions{}, fmt.Errorf("network %q: only none is supported yet", n)
	}
	return engine.NetOptions{Network: n}, nil
}

// networkCommands are `engine network ...`.
func networkCommands() []*cli.Command { return nil }
