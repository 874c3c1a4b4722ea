package cli

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

func systemCommands() []*cli.Command {
	version := &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "Version:    %s\nGo Version: %s\nOS/Arch:    %s/%s\n",
				Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
	prune := &cli.Command{
		Name:   "prune",
		Usage:  "remove stopped containers, unused networks, dangling images (and with --volumes unused volumes); release what killed processes leaked",
		Action: systemPruneAction,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every image no container uses, not only dangling ones"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "volumes", Usage: "also remove volumes no container uses"},
		},
	}
	return []*cli.Command{version, {Name: "system", Usage: "manage the engine as a whole", Subcommands: []*cli.Command{prune}}}
}

// systemPruneAction is podman's system prune: containers first, so that what they
// held (networks, images, volumes) is unused when its turn comes.
func systemPruneAction(c *cli.Context) error {
	if !c.Bool("force") {
		ok, err := confirm(c, "WARNING! This will remove all stopped containers, networks not used by at least one container, dangling images"+
			map[bool]string{true: ", volumes not used by at least one container", false: ""}[c.Bool("volumes")]+".")
		if err != nil || !ok {
			return err
		}
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		var errs []error
		section := func(title string, ids []string, err error) {
			if len(ids) > 0 {
				fmt.Fprintf(c.App.Writer, "Deleted %s\n", title)
				for _, id := range ids {
					fmt.Fprintln(c.App.Writer, id)
				}
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		ids, err := r.Prune()
		section("Containers", ids, err)
		ids, err = r.PruneNetworks()
		section("Networks", ids, err)
		if c.Bool("volumes") {
			ids, err = r.VolumePrune(nil)
			section("Volumes", ids, err)
		}
		ids, err = r.Store().PruneImages(storage.PruneOptions{All: c.Bool("all")})
		section("Images", ids, err)
		return errors.Join(errs...)
	})
}
