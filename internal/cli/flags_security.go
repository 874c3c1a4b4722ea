package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// resourceFlags are create/run's cgroup and rlimit flags (issue #4).
func resourceFlags() []cli.Flag { return nil }

func resourceOptions(c *cli.Context) (engine.ResourceOptions, error) {
	return engine.ResourceOptions{}, nil
}

// securityFlags are create/run's isolation flags (issue #4).
func securityFlags() []cli.Flag { return nil }

func securityOptions(c *cli.Context) (engine.SecurityOptions, error) {
	return engine.SecurityOptions{}, nil
}
