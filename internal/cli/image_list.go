package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/storage"
)

func imagesFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show intermediate images too"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
		&cli.BoolFlag{Name: "digests", Usage: "show digests"},
		&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate ids"},
		&cli.BoolFlag{Name: "noheading", Aliases: []string{"n"}, Usage: "print no header"},
		&cli.StringFlag{Name: "format", Usage: "json or a Go template"},
		&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE (dangling, label, label!, reference, before, since, id, until, containers, readonly)"},
		&cli.StringFlag{Name: "sort", Value: "created", Usage: "sort by created (newest first), id, repository, size or tag"},
	}
}

// sortRows orders rows as podman's images --sort does; a stable sort keeps the
// newest-first order within equal keys.
func sortRows(rows []imageRow, key string) error {
	var less func(a, b *imageRow) bool
	switch key {
	case "created":
		return nil // ListImages lists newest first, to the nanosecond
	case "id":
		less = func(a, b *imageRow) bool { return a.Id < b.Id }
	case "repository":
		less = func(a, b *imageRow) bool { return a.Repository < b.Repository }
	case "tag":
		less = func(a, b *imageRow) bool { return a.Tag < b.Tag }
	case "size":
		less = func(a, b *imageRow) bool { return a.VirtualSize < b.VirtualSize }
	default:
		return fmt.Errorf("%q is not a valid field for sorting. Choose from: repository, size, tag, created, id", key)
	}
	sort.SliceStable(rows, func(i, j int) bool { return less(&rows[i], &rows[j]) })
	return nil
}

// imageRow is one line of `images`, with podman's template fields: those of its
// JSON record ({{.Id}} the full id, {{.VirtualSize}} in bytes, {{.RepoTags}}, ...)
// and its table columns ({{.ID}} short, {{.Size}} human-readable, {{.Created}}
// relative, {{.CreatedAt}} to the second, {{.History}} names joined with ", ").
type imageRow struct {
	ID, Repository, Tag, Digest string
	Id, ParentId                string //nolint:revive,stylecheck // podman's JSON names, used in templates
	RepoTags, RepoDigests       []string
	Created, CreatedSince       string
	CreatedAt                   time.Time
	CreatedTime                 time.Time
	Size                        string
	VirtualSize, SharedSize     int64
	Containers                  int
	Names                       []string
	History                     string
	Dangling                    bool
	ReadOnly                    bool
	Labels                      map[string]string
}

var imageHeaders = map[string]string{"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "VirtualSize": "SIZE"}

func imagesAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return fmt.Errorf("images takes at most one image name")
	}
	if err := sortRows(nil, c.String("sort")); err != nil { // a bad key fails whatever the output
		return err
	}
	filters := c.StringSlice("filter")
	if c.NArg() == 1 {
		filters = append(filters, "reference="+c.Args().First())
	}
	return withStore(c, func(s *storage.Store) error {
		// Labels cost a read of each image's config: only for output that shows them.
		labels := c.String("format") == "json" || strings.Contains(c.String("format"), ".Labels")
		sums, err := s.ListImages(storage.ListOptions{All: c.Bool("all"), Filters: filters, Labels: labels})
		if err != nil {
			return err
		}
		if c.String("format") == "json" {
			return format.JSON(c.App.Writer, nonNilSlice(sums))
		}
		if c.Bool("quiet") {
			seen := map[string]bool{}
			for _, sum := range sums {
				id := imageID(sum.ID, c.Bool("no-trunc"))
				if !seen[id] {
					seen[id] = true
					fmt.Fprintln(c.App.Writer, id)
				}
			}
			return nil
		}
		tmpl := "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
		if c.Bool("digests") {
			tmpl = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
		}
		if f := c.String("format"); f != "" {
			tmpl = f
		}
		rows := imageRows(sums, c.Bool("no-trunc"))
		if err := sortRows(rows, c.String("sort")); err != nil {
			return err
		}
		return format.Rows(c.App.Writer, tmpl, rows, imageHeaders, c.Bool("noheading"))
	})
}

func imageRows(sums []storage.ImageSummary, noTrunc bool) []imageRow {
	var rows []imageRow
	for _, sum := range sums {
		created := time.Unix(sum.CreatedAt.Unix(), 0) // podman prints whole seconds, local time
		base := imageRow{
			ID: imageID(sum.ID, noTrunc), Digest: sum.Digest, Created: since(sum.CreatedAt),
			Id: sum.ID, ParentId: sum.ParentID, RepoTags: sum.RepoTags, RepoDigests: sum.RepoDigests,
			CreatedSince: since(sum.CreatedAt), CreatedAt: created, CreatedTime: created,
			Size: humanSize(sum.Size), VirtualSize: sum.VirtualSize, SharedSize: sum.SharedSize,
			Containers: sum.Containers, Names: sum.Names, History: strings.Join(sum.History, ", "),
			Dangling: sum.Dangling, Labels: sum.Labels,
		}
		if len(sum.Names) == 0 {
			base.Repository, base.Tag = "<none>", "<none>"
			rows = append(rows, base)
			continue
		}
		for _, n := range sum.Names {
			r := base
			r.Repository, r.Tag = storage.SplitName(n)
			rows = append(rows, r)
		}
	}
	return rows
}

func imageID(id string, noTrunc bool) string {
	if noTrunc {
		return "sha256:" + id
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
