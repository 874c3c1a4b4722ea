package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

func waitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "condition", Usage: "wait until the container is in one of these states: created, running, paused, exited, stopped (default: exited)"},
		&cli.StringFlag{Name: "interval", Aliases: []string{"i"}, Value: "250ms", Usage: "how often to check a --condition"},
	}
}

// waitStates maps podman's wait conditions to the states that satisfy them.
var waitStates = map[string]string{
	"configured": engine.StatusCreated, "created": engine.StatusCreated, "running": engine.StatusRunning,
	"paused": engine.StatusPaused, "exited": engine.StatusExited, "stopped": engine.StatusExited,
}

// waitAction is podman's wait: every container is looked up before any is waited
// for; each prints its exit code, or -1 when a condition other than exited or
// stopped was met.
func waitAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("wait requires at least one container")
	}
	want := map[string]bool{}
	for _, cond := range c.StringSlice("condition") {
		st, ok := waitStates[strings.ToLower(cond)]
		if !ok {
			return fmt.Errorf("unknown container state: %s: %w", cond, engine.ErrInvalidArg)
		}
		want[st] = true
	}
	iv := c.String("interval")
	if _, err := strconv.Atoi(iv); err == nil {
		iv += "ms" // podman: a bare number is milliseconds
	}
	interval, err := time.ParseDuration(iv)
	if err != nil || interval <= 0 {
		return fmt.Errorf("invalid --interval %q: want a duration such as 250ms: %w", c.String("interval"), engine.ErrInvalidArg)
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctrs := make([]*engine.Container, 0, c.NArg())
		for _, name := range c.Args().Slice() {
			ctr, err := r.Lookup(name)
			if err != nil {
				return err
			}
			ctrs = append(ctrs, ctr)
		}
		for _, ctr := range ctrs {
			code, err := waitFor(ctr, want, interval)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, code)
		}
		return nil
	})
}

// waitFor waits for the container to reach one of the states in want (its exit
// without conditions).
func waitFor(ctr *engine.Container, want map[string]bool, interval time.Duration) (int, error) {
	if len(want) == 0 || (len(want) == 1 && want[engine.StatusExited]) {
		return ctr.Wait()
	}
	for {
		st, err := ctr.State()
		if err != nil {
			return -1, err
		}
		if want[st.Status] {
			if st.Status == engine.StatusExited {
				return st.ExitCode, nil
			}
			return -1, nil
		}
		time.Sleep(interval)
	}
}
