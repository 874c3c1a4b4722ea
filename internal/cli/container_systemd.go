package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// What systemd units written for podman pass to run/create (see engine/systemd.go).
func systemdFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "replace", Usage: "remove a container of the same --name first"},
		&cli.StringFlag{Name: "sdnotify", Value: engine.SdNotifyContainer,
			Usage: "with systemd's NOTIFY_SOCKET: container (it sends READY=1), conmon (ready once started) or ignore"},
		&cli.StringFlag{Name: "cgroups", Value: "enabled", Usage: "enabled or no-conmon (the same here: the monitor gets no cgroup)"},
	}
}

func systemdOptions(c *cli.Context, o *engine.CreateOptions) {
	o.Replace, o.SdNotify, o.Cgroups = c.Bool("replace"), c.String("sdnotify"), c.String("cgroups")
	if o.SdNotify == engine.SdNotifyIgnore {
		// podman: ignore also hides the socket from engine's own children.
		_ = os.Unsetenv("NOTIFY_SOCKET")
	}
	o.NotifySocket = os.Getenv("NOTIFY_SOCKET")
}

// cidfileFlags: --cidfile and --ignore of stop, rm and kill (kill has no --ignore).
func cidfileFlags(ignore bool) []cli.Flag {
	f := []cli.Flag{&cli.StringSliceFlag{Name: "cidfile", Usage: "read the container's id from this file"}}
	if ignore {
		f = append(f, &cli.BoolFlag{Name: "ignore", Aliases: []string{"i"},
			Usage: "no error for containers (or --cidfile files) that do not exist"})
	}
	return f
}

// ctrArgs is the containers a command acts on: its arguments, or the ids in
// its --cidfile files; none is the error none, unless --ignore skipped missing
// files (nothing to do). podman 4.3 fails on a missing file even with
// --ignore; later podman skips it, which is what a unit's ExecStop needs once
// ExecStopPost or a crash removed the file.
func ctrArgs(c *cli.Context, none string) ([]string, error) {
	files := c.StringSlice("cidfile")
	if len(files) == 0 {
		if c.NArg() == 0 {
			return nil, errors.New(none)
		}
		return c.Args().Slice(), nil
	}
	if c.NArg() > 0 {
		return nil, errors.New("no arguments are needed with --cidfile")
	}
	var ids []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if c.Bool("ignore") && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("reading CIDFile: %w", err)
		}
		id := strings.TrimSpace(string(b))
		if id == "" {
			return nil, fmt.Errorf("reading CIDFile %s: it is empty", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ignoredCtrErr reports whether --ignore makes err no error.
func ignoredCtrErr(c *cli.Context, err error) bool {
	return c.Bool("ignore") && errors.Is(err, engine.ErrNoSuchContainer)
}
