package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/storage"
)

func psFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers, not only running ones"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
		&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "show the newest container"},
		&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Value: -1, Usage: "show the N newest containers"},
		&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate output"},
		&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "show sizes"},
		&cli.BoolFlag{Name: "noheading", Usage: "print no header"},
		&cli.StringFlag{Name: "format", Usage: "json or a Go template"},
		&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "status, name, id, label, ancestor, exited, since, before, until, network"},
		&cli.StringFlag{Name: "sort", Usage: "command, created, id, image, names, runningfor, size or status"},
	}
}

// psRow is one line of `ps` for templates: podman's psReporter, that is every
// field of the JSON record, with podman's strings where its template differs from
// its JSON (a short ID and ImageID, one name, the command as a line, the ports
// column, Created as a time).
type psRow struct {
	engine.Summary
	ID, ImageID, Command, Names, Ports, Networks, Size string
	Created, CreatedAt, CreatedHuman, RunningFor       string
}

// Label is one label's value ({{.Label "key"}}, as docker and newer podman).
func (r psRow) Label(name string) string { return r.Labels[name] }

func newPsRow(s engine.Summary, noTrunc bool) psRow {
	cmd := strings.Join(s.Command, " ")
	if !noTrunc && len(cmd) > 17 {
		cmd = cmd[:17] + "..." // podman's cut
	}
	row := psRow{Summary: s, ID: trunc(s.ID, noTrunc), ImageID: trunc(s.ImageID, noTrunc), Command: cmd,
		Ports: engine.PortsColumn(s.Ports), Networks: strings.Join(s.Networks, ","),
		Created: s.CreatedAt, CreatedAt: s.CreatedAt, CreatedHuman: since(time.Unix(s.Created, 0))}
	if len(s.Names) > 0 {
		row.Names = s.Names[0]
	}
	row.RunningFor = row.CreatedHuman
	if s.Size != nil {
		row.Size = psSize(s.Size)
	}
	return row
}

func psAction(c *cli.Context) error {
	if c.Bool("quiet") && c.Bool("size") {
		return fmt.Errorf("quiet conflicts with size") // podman: sizes are a column
	}
	if err := sortPs(nil, c.String("sort")); err != nil {
		return err
	}
	with := withLister
	if c.Bool("size") {
		with = withRuntime // sizes need the layer store
	}
	return with(c, func(r *engine.Runtime) error {
		sums, err := r.Ps(engine.PsOptions{All: c.Bool("all"), Last: c.Int("last"), Latest: c.Bool("latest"),
			Size: c.Bool("size"), Filters: c.StringSlice("filter")})
		if err != nil {
			return err
		}
		_ = sortPs(sums, c.String("sort")) // the key was checked above
		if f := c.String("format"); f == "json" || isJSONTemplate(f) {
			return format.JSON(c.App.Writer, nonNilSlice(sums))
		}
		noTrunc := c.Bool("no-trunc")
		if c.Bool("quiet") && !c.IsSet("format") {
			for _, s := range sums {
				fmt.Fprintln(c.App.Writer, trunc(s.ID, noTrunc))
			}
			return nil
		}
		rows := make([]psRow, 0, len(sums))
		for _, s := range sums {
			rows = append(rows, newPsRow(s, noTrunc))
		}
		tmpl := "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
		if c.Bool("size") {
			tmpl += "\t{{.Size}}"
		}
		if f := c.String("format"); f != "" {
			tmpl = f
		}
		return format.Rows(c.App.Writer, tmpl, rows, psHeaders, c.Bool("noheading"))
	})
}

// psHeaders are podman's table headers of the fields whose name is not one word.
var psHeaders = map[string]string{"ID": "CONTAINER ID", "CreatedHuman": "CREATED", "RunningFor": "RUNNING FOR",
	"CreatedAt": "CREATED AT", "ExitCode": "EXIT CODE", "ImageID": "IMAGE ID", "StartedAt": "STARTED AT",
	"ExitedAt": "EXITED AT", "AutoRemove": "AUTO REMOVE", "IsInfra": "IS INFRA", "PodName": "PODNAME"}

func trunc(id string, noTrunc bool) string {
	if noTrunc || len(id) <= 12 {
		return id
	}
	return id[:12]
}

func inspectAction(c *cli.Context) error { return inspectAs(c, c.String("type")) }

// inspectAs prints containers and/or images (podman's `inspect --type`).
func inspectAs(c *cli.Context, kind string) error {
	if c.NArg() == 0 {
		return fmt.Errorf("inspect requires at least one name")
	}
	switch kind {
	case "all", "container", "image":
	default:
		return fmt.Errorf("invalid --type %q: want container, image or all", kind)
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		var out []any
		var errs []error
		for _, name := range c.Args().Slice() {
			if kind != "image" {
				ctr, err := r.Lookup(name)
				if err == nil {
					d, err := ctr.Inspect()
					if err != nil {
						errs = append(errs, err)
					} else {
						out = append(out, d)
					}
					continue
				}
				if kind == "container" {
					errs = append(errs, err)
					continue
				}
			}
			d, err := r.Store().InspectImage(name)
			if err != nil {
				if storage.IsNotFound(err) && kind == "all" {
					err = fmt.Errorf("no such object: %q", name)
				}
				errs = append(errs, err)
				continue
			}
			out = append(out, d)
		}
		return printInspect(c, out, errs)
	})
}

// printInspect prints inspect records (a JSON array, or --format per record), then
// reports the names that were not found, as podman: what was found is printed.
func printInspect(c *cli.Context, out []any, errs []error) error {
	if f := c.String("format"); f != "" && f != "json" && !isJSONTemplate(f) {
		if err := format.Inspect(c.App.Writer, f, out); err != nil {
			return err
		}
	} else {
		// podman prints the array even when nothing was found ("[]"), then the errors.
		if err := format.JSON(c.App.Writer, nonNilSlice(out)); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
