package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// buildCommands are build and commit (also `container commit` and `image build`,
// as podman has them).
func buildCommands() []*cli.Command {
	commit := &cli.Command{Name: "commit", Usage: "make an image of a container's changes", ArgsUsage: "CONTAINER [IMAGE]",
		Action: commitAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "author", Aliases: []string{"a"}, Usage: "the image's author"},
			&cli.GenericFlag{Name: "change", Aliases: []string{"c"}, Value: &rawList{}, Usage: "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "history comment"},
			&cli.BoolFlag{Name: "pause", Aliases: []string{"p"}, Usage: "pause a running container while committing"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image id"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "oci", Usage: "image format: oci"},
		}}
	return []*cli.Command{commit}
}

// addToGroup adds commands to the subcommands of the group named group
// (`engine container commit`).
func addToGroup(cmds []*cli.Command, group string, add ...*cli.Command) {
	for _, c := range cmds {
		if c.Name == group {
			for _, a := range add {
				cp := *a
				c.Subcommands = append(c.Subcommands, &cp)
			}
		}
	}
}

func commitAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("commit requires a container and at most one image name")
	}
	if f := c.String("format"); f != "oci" {
		return fmt.Errorf("unsupported --format %q: only oci", f)
	}
	o := engine.CommitOptions{
		Reference: c.Args().Get(1), Changes: rawValues(c, "change"),
		Message: c.String("message"), Author: c.String("author"), Pause: c.Bool("pause"),
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(c.Args().First())
		if err != nil {
			return err
		}
		img, err := ctr.Commit(c.Context, o)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, img.ID)
		return nil
	})
}
