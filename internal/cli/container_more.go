package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
)

func containerMoreCommands() []*cli.Command {
	return []*cli.Command{
		{Name: "cp", Usage: "copy files between a container and the host", ArgsUsage: "SRC DST (one of them CONTAINER:PATH; - for a tar stream)", Action: cpAction,
			Flags: []cli.Flag{&cli.BoolFlag{Name: "archive", Aliases: []string{"a"}, Usage: "accepted; ownership is docker's default"}}},
		{Name: "rename", Usage: "rename a container", ArgsUsage: "CONTAINER NAME", Action: renameAction},
		{Name: "diff", Usage: "list a container's changes to its image", ArgsUsage: "CONTAINER", Action: diffAction,
			Flags: []cli.Flag{&cli.StringFlag{Name: "format"}}},
		{Name: "export", Usage: "export a container's filesystem as a tar archive", ArgsUsage: "CONTAINER", Action: exportAction,
			Flags: []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}}}},
		{Name: "top", Usage: "list a container's processes", ArgsUsage: "CONTAINER [DESCRIPTOR...] (pid,ppid,user,args,comm,...; others are passed to ps(1) in the container)", Action: topAction},
		{Name: "stats", Usage: "show containers' resource use", ArgsUsage: "[CONTAINER...]", Action: statsAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-stream", Usage: "print one sample and exit"}, &cli.StringFlag{Name: "format"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}}, &cli.BoolFlag{Name: "no-reset"},
		}},
		{Name: "port", Usage: "list a container's published ports", ArgsUsage: "CONTAINER [PRIVATE_PORT[/PROTO]]", Action: portAction},
	}
}

func containerPruneCommand() *cli.Command {
	return &cli.Command{Name: "prune", Usage: "remove every stopped container", Action: containerPruneAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"},
		&cli.StringSliceFlag{Name: "filter", Usage: "label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP"},
	}}
}

func containerPruneAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("container prune takes no arguments")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if !c.Bool("force") {
			ok, err := confirm(c, "WARNING! This will remove all non running containers.")
			if err != nil || !ok {
				return err
			}
		}
		ids, err := r.Prune(c.StringSlice("filter")...)
		for _, id := range ids {
			fmt.Fprintln(c.App.Writer, id)
		}
		return err
	})
}

// splitCtrPath splits "CONTAINER:PATH"; a path with a slash before any colon is local.
func splitCtrPath(arg string) (ctr, path string) {
	i := strings.Index(arg, ":")
	if i <= 0 || strings.Contains(arg[:i], "/") {
		return "", arg
	}
	return arg[:i], arg[i+1:]
}

func cpAction(c *cli.Context) error {
	if c.NArg() != 2 {
		return fmt.Errorf("cp requires SRC and DST")
	}
	srcCtr, src := splitCtrPath(c.Args().Get(0))
	dstCtr, dst := splitCtrPath(c.Args().Get(1))
	if (srcCtr == "") == (dstCtr == "") {
		return fmt.Errorf("cp: exactly one of SRC and DST must be CONTAINER:PATH")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		name := srcCtr + dstCtr
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		switch {
		case srcCtr != "" && dst == "-":
			if term.IsTerminal(int(os.Stdout.Fd())) {
				return fmt.Errorf("refusing to write a tar stream to a terminal")
			}
			return ctr.CopyOut(src, c.App.Writer)
		case srcCtr != "":
			abs, err := filepath.Abs(dst)
			if err != nil {
				return err
			}
			return ctr.CopyToHost(src, abs)
		case src == "-":
			return ctr.CopyIn(os.Stdin, dst)
		default:
			abs, err := filepath.Abs(src)
			if err != nil {
				return err
			}
			if strings.HasSuffix(src, "/.") {
				abs += "/."
			}
			return ctr.CopyFromHost(abs, dst)
		}
	})
}

func renameAction(c *cli.Context) error {
	if c.NArg() != 2 {
		return fmt.Errorf("rename requires CONTAINER and NAME")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(c.Args().Get(0))
		if err != nil {
			return err
		}
		return ctr.Rename(c.Args().Get(1))
	})
}

func diffAction(c *cli.Context) error {
	name, err := oneArg(c, "container")
	if err != nil {
		return err
	}
	if f := c.String("format"); f != "" && f != "json" {
		return fmt.Errorf("only supported value for '--format' is 'json'")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		changes, err := ctr.Diff()
		if err != nil {
			return err
		}
		if c.String("format") == "json" {
			return format.JSON(c.App.Writer, diffJSON(changes))
		}
		for _, ch := range changes {
			fmt.Fprintf(c.App.Writer, "%s %s\n", ch.Kind, ch.Path)
		}
		return nil
	})
}

// diffReport is podman's `diff --format json`: the paths by kind of change.
type diffReport struct {
	Changed []string `json:"changed,omitempty"`
	Added   []string `json:"added,omitempty"`
	Deleted []string `json:"deleted,omitempty"`
}

func diffJSON(changes []engine.Change) diffReport {
	var r diffReport
	for _, ch := range changes {
		switch ch.Kind {
		case "A":
			r.Added = append(r.Added, ch.Path)
		case "D":
			r.Deleted = append(r.Deleted, ch.Path)
		default:
			r.Changed = append(r.Changed, ch.Path)
		}
	}
	return r
}

func exportAction(c *cli.Context) error {
	name, err := oneArg(c, "container")
	if err != nil {
		return err
	}
	out := c.String("output")
	if out == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return fmt.Errorf("refusing to export to a terminal: use -o or redirect stdout")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		if out == "" {
			return ctr.Export(c.App.Writer)
		}
		tmp := out + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := ctr.Export(f); err != nil {
			f.Close()
			os.Remove(tmp)
			return err
		}
		if err := f.Close(); err != nil {
			os.Remove(tmp)
			return err
		}
		return os.Rename(tmp, out)
	})
}

func topAction(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("top requires a container")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(c.Args().First())
		if err != nil {
			return err
		}
		rows, err := ctr.Top(c.Args().Tail())
		if err != nil {
			return err
		}
		// podman's report.NewWriterDefault: columns at least 12 wide.
		tw := tabwriter.NewWriter(c.App.Writer, 12, 2, 2, ' ', 0)
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		return tw.Flush()
	})
}

func portAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("port requires a container and at most one PRIVATE_PORT[/PROTO]")
	}
	name := c.Args().First()
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		return printPorts(c.App.Writer, ctr.Ports(), c.Args().Get(1))
	})
}

// psSize is podman's SIZE column of `ps --size`: the container's own layer, then
// its image's ("1.05MB (virtual 1.98MB)"; no space before the unit, unlike
// `images`).
func psSize(s *engine.SizeInfo) string {
	return units.HumanSizeWithPrecision(float64(s.RwSize), 3) + " (virtual " +
		units.HumanSizeWithPrecision(float64(s.RootFsSize), 3) + ")"
}
