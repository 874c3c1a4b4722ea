package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
)

// Exit codes of volume rm and volume exists, as podman's.
const (
	exitNoSuchVolume = 1
	exitVolumeInUse  = 2
)

// volumeCommands are `engine volume ...`.
func volumeCommands() []*cli.Command {
	return []*cli.Command{{Name: "volume", Usage: "manage volumes", Subcommands: []*cli.Command{
		{Name: "create", Usage: "create a volume", ArgsUsage: "[NAME]", Action: volumeCreateAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "local", Usage: "only local"},
			&cli.GenericFlag{Name: "label", Aliases: []string{"l"}, Value: &rawList{}, Usage: "KEY=VALUE"},
			&cli.GenericFlag{Name: "opt", Aliases: []string{"o"}, Value: &rawList{}, Usage: "o=uid=N,gid=N"},
			&cli.BoolFlag{Name: "ignore", Usage: "do not fail when the volume exists"},
		}},
		{Name: "ls", Aliases: []string{"list"}, Usage: "list volumes", Action: volumeLsAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print names only"},
			&cli.StringFlag{Name: "format", Usage: "json or a Go template"},
			&cli.BoolFlag{Name: "noheading", Aliases: []string{"n"}},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, label=, dangling=, driver=, scope="},
		}},
		{Name: "inspect", Usage: "show volumes in detail", ArgsUsage: "NAME...", Action: volumeInspectAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}},
		}},
		{Name: "rm", Aliases: []string{"remove"}, Usage: "remove volumes", ArgsUsage: "NAME...", Action: volumeRmAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "also remove the containers that use them"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}},
		}},
		{Name: "prune", Usage: "remove every volume no container uses", Action: volumePruneAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"},
			&cli.StringSliceFlag{Name: "filter", Usage: "label=, name="},
		}},
		{Name: "exists", Usage: "exit 0 if the volume exists, 1 if not", ArgsUsage: "NAME", Action: volumeExistsAction},
		{Name: "export", Usage: "write a tar of a volume's content", ArgsUsage: "NAME", Action: volumeExportAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file instead of stdout"},
		}},
		{Name: "import", Usage: "extract a tar into a volume", ArgsUsage: "NAME FILE|-", Action: volumeImportAction},
	}}}
}

func volumeCreateAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return fmt.Errorf("volume create takes at most one name")
	}
	o := engine.VolumeCreateOptions{Name: c.Args().First(), Driver: c.String("driver"),
		Labels: keyValues(rawValues(c, "label")), Options: keyValues(rawValues(c, "opt"))}
	return withRuntime(c, func(r *engine.Runtime) error {
		v, err := r.VolumeCreate(o)
		if errors.Is(err, engine.ErrVolumeExists) && c.Bool("ignore") {
			fmt.Fprintln(c.App.Writer, o.Name)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, v.Name)
		return nil
	})
}

func keyValues(list []string) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		k, v, _ := splitKV(kv)
		m[k] = v
	}
	return m
}

func volumeLsAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("volume ls takes no arguments")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		vols, err := r.Volumes(c.StringSlice("filter"))
		if err != nil {
			return err
		}
		tmpl := c.String("format")
		switch {
		case tmpl == "json":
			return format.JSON(c.App.Writer, nonNilSlice(vols))
		case len(vols) == 0:
			return nil // podman prints no table header over no volumes
		case c.Bool("quiet"):
			for _, v := range vols {
				fmt.Fprintln(c.App.Writer, v.Name)
			}
			return nil
		case tmpl == "":
			tmpl = "table {{.Driver}}\t{{.Name}}"
		}
		return format.Rows(c.App.Writer, tmpl, vols, map[string]string{"Name": "VOLUME NAME"}, c.Bool("noheading"))
	})
}

func volumeInspectAction(c *cli.Context) error {
	if c.NArg() == 0 && !c.Bool("all") {
		return fmt.Errorf("volume inspect requires a volume name or --all")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		var vols []*engine.Volume
		if c.Bool("all") {
			all, err := r.Volumes(nil)
			if err != nil {
				return err
			}
			vols = all
		}
		// As podman: the volumes found are printed, then the missing ones fail the command.
		var errs []error
		for _, name := range c.Args().Slice() {
			v, err := r.Volume(name)
			if err != nil {
				errs = append(errs, fmt.Errorf("inspecting object: %w", err))
				continue
			}
			vols = append(vols, v)
		}
		if f := c.String("format"); f != "" && f != "json" {
			if err := format.Rows(c.App.Writer, f, vols, nil, true); err != nil {
				return err
			}
		} else if err := format.JSON(c.App.Writer, nonNilSlice(vols)); err != nil {
			return err
		}
		return errors.Join(errs...)
	})
}

func volumeRmAction(c *cli.Context) error {
	names := c.Args().Slice()
	if len(names) == 0 && !c.Bool("all") {
		return fmt.Errorf("volume rm requires a volume name or --all")
	}
	if len(names) > 0 && c.Bool("all") {
		return fmt.Errorf("volume rm takes names or --all, not both")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if c.Bool("all") {
			vols, err := r.Volumes(nil)
			if err != nil {
				return err
			}
			for _, v := range vols {
				names = append(names, v.Name)
			}
		}
		var errs []error
		for _, n := range names {
			err := r.VolumeRemove(n, c.Bool("force"))
			switch {
			case err == nil:
				fmt.Fprintln(c.App.Writer, n)
			case c.Bool("force") && errors.Is(err, engine.ErrNoSuchVolume):
				// podman: rm -f of a missing volume is quiet
			default:
				errs = append(errs, err)
			}
		}
		return volumeRmErr(errs)
	})
}

// volumeRmErr joins rm's errors and keeps the exit code of the first one.
func volumeRmErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	switch {
	case errors.Is(errs[0], engine.ErrNoSuchVolume):
		return withCode(exitNoSuchVolume, err)
	case errors.Is(errs[0], engine.ErrVolumeInUse):
		return withCode(exitVolumeInUse, err)
	}
	return err
}

func volumePruneAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		if !c.Bool("force") {
			ok, err := confirmVolumePrune(c, r)
			if err != nil || !ok {
				return err
			}
		}
		names, err := r.VolumePrune(c.StringSlice("filter"))
		for _, n := range names {
			fmt.Fprintln(c.App.Writer, n)
		}
		return err
	})
}

// confirmVolumePrune shows the volumes a prune would remove and asks, as podman
// does; with none it says so and asks nothing (so a prune without -f and without
// a terminal succeeds when there is nothing to do).
func confirmVolumePrune(c *cli.Context, r *engine.Runtime) (bool, error) {
	vols, err := r.Volumes(append([]string{"dangling=true"}, c.StringSlice("filter")...))
	if err != nil {
		return false, err
	}
	warning := "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:"
	if len(vols) == 0 {
		fmt.Fprintln(c.App.Writer, warning+"\nNo dangling volumes found")
		return false, nil
	}
	for _, v := range vols {
		warning += "\n" + v.Name
	}
	return confirm(c, warning)
}

// confirm asks podman's question on stdout and reads the answer from stdin.
func confirm(c *cli.Context, warning string) (bool, error) {
	fmt.Fprintf(c.App.Writer, "%s\nAre you sure you want to continue? [y/N] ", warning)
	if f, ok := c.App.Writer.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

func volumeExistsAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("volume exists requires exactly one name")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ok, err := r.VolumeExists(c.Args().First())
		if err != nil {
			return err
		}
		if !ok {
			return withCode(exitNoSuchVolume, errors.New(""))
		}
		return nil
	})
}
