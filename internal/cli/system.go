package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/engine-dev/engine/internal/format"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

func systemCommands() []*cli.Command {
	version := &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "json or a Go template ({{.Client.Version}})"}},
		Action: func(c *cli.Context) error {
			if f := c.String("format"); f != "" {
				return printStructured(c, f, struct {
					Client engine.VersionInfo `json:"Client"`
				}{engine.NewVersionInfo(Version)})
			}
			fmt.Fprintf(c.App.Writer, "Version:    %s\nGo Version: %s\nOS/Arch:    %s/%s\n",
				Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
	info := &cli.Command{
		Name:  "info",
		Usage: "show the host, the store and the version",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "json or a Go template ({{.Store.GraphRoot}})"}},
		Action: func(c *cli.Context) error {
			return withRuntime(c, func(r *engine.Runtime) error {
				in, err := r.Info(Version)
				if err != nil {
					return err
				}
				return printStructured(c, c.String("format"), in)
			})
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
	sysInfo := *info
	return []*cli.Command{version, info, {Name: "system", Usage: "manage the engine as a whole", Subcommands: []*cli.Command{prune, &sysInfo}}}
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

// printStructured prints v as JSON (--format json), through a Go template over its
// JSON form, or as YAML (no --format), as podman's info and version do.
func printStructured(c *cli.Context, tmpl string, v any) error {
	switch tmpl {
	case "json", "{{json .}}":
		return format.JSON(c.App.Writer, v)
	case "":
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var m any
		if err := yaml.Unmarshal(b, &m); err != nil { // JSON is YAML: keeps the JSON names
			return err
		}
		out, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		_, err = c.App.Writer.Write(out)
		return err
	}
	return format.Value(c.App.Writer, tmpl, v)
}
