package cli

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/storage"
)

func historyAction(c *cli.Context) error {
	name, err := oneArg(c, "image")
	if err != nil {
		return err
	}
	return withStore(c, func(s *storage.Store) error {
		entries, err := s.History(name)
		if err != nil {
			return err
		}
		if c.String("format") == "json" {
			return format.JSON(c.App.Writer, historyJSON(entries))
		}
		tmpl := "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
		if c.Bool("quiet") {
			tmpl = "{{.ID}}"
		}
		if f := c.String("format"); f != "" {
			tmpl = f
		}
		rows := historyRows(entries, c.Bool("human"), c.Bool("no-trunc"))
		return format.Rows(c.App.Writer, tmpl, rows, map[string]string{"CreatedBy": "CREATED BY"}, false)
	})
}

// historyRow is one line of `history`, with the fields of podman's template.
type historyRow struct {
	ID, Created, CreatedBy, Size, Comment string
	CreatedAt, CreatedSince               string
	Tags                                  []string
}

// historyRows formats entries as podman's history does: ids of 12 characters
// unless noTrunc (never "sha256:"), CREATED BY cut to 45 characters with "...",
// sizes always human-readable, times relative when human and RFC 3339 otherwise.
func historyRows(entries []storage.HistoryEntry, human, noTrunc bool) []historyRow {
	rows := make([]historyRow, 0, len(entries))
	for _, e := range entries {
		r := historyRow{ID: e.ID, CreatedBy: e.CreatedBy, Comment: e.Comment, Tags: e.Tags, Size: humanSize(e.Size)}
		if !noTrunc && len(r.ID) > 12 {
			r.ID = r.ID[:12]
		}
		if !noTrunc && len(r.CreatedBy) > 45 {
			r.CreatedBy = r.CreatedBy[:42] + "..."
		}
		if e.Created != nil {
			r.Created = e.Created.UTC().Format(time.RFC3339)
			if human {
				r.Created = since(*e.Created)
			}
			r.CreatedAt = time.Unix(e.Created.Unix(), 0).UTC().String()
		}
		r.CreatedSince = r.Created
		rows = append(rows, r)
	}
	return rows
}

// historyJSON is `history --format json` as podman 4.3 prints it: each entry also
// carries "Created", its time in RFC 3339 (next to "created", the full time).
func historyJSON(entries []storage.HistoryEntry) any {
	type layer struct {
		storage.HistoryEntry
		CreatedRFC3339 string `json:"Created"`
	}
	out := make([]layer, 0, len(entries))
	for _, e := range entries {
		l := layer{HistoryEntry: e}
		if e.Created != nil {
			l.CreatedRFC3339 = e.Created.UTC().Format(time.RFC3339)
		}
		out = append(out, l)
	}
	return out
}

func saveAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("save requires at least one image")
	}
	out := c.String("output")
	if out == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return fmt.Errorf("refusing to save to a terminal: use -o or redirect stdout")
	}
	return withStore(c, func(s *storage.Store) error {
		if out == "" {
			return s.SaveTo(c.Context, c.Args().Slice(), c.String("format"), c.App.Writer)
		}
		return s.Save(c.Context, c.Args().Slice(), storage.SaveOptions{Format: c.String("format"), Output: out})
	})
}

func loadAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("load takes no arguments: use -i FILE or stdin")
	}
	in := c.String("input")
	if in == "" && term.IsTerminal(int(os.Stdin.Fd())) {
		return fmt.Errorf("cannot read from a terminal: use -i FILE or redirect stdin")
	}
	return withStore(c, func(s *storage.Store) error {
		var names []string
		var err error
		if in == "" {
			names, err = s.LoadFrom(c.Context, os.Stdin, progressWriter(c))
		} else {
			names, err = s.Load(c.Context, in, progressWriter(c))
		}
		if err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintf(c.App.Writer, "Loaded image: %s\n", n)
		}
		return nil
	})
}

func importAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("import requires FILE|URL|- and an optional REFERENCE")
	}
	src := c.Args().First()
	var r io.Reader
	switch {
	case src == "-":
		r = os.Stdin
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		resp, err := http.Get(src)
		if err != nil {
			return fmt.Errorf("import: fetching %s: %w", src, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("import: fetching %s: %s", src, resp.Status)
		}
		r = resp.Body
	default:
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r = f
	}
	return withStore(c, func(s *storage.Store) error {
		img, err := s.Import(c.Context, r, storage.ImportOptions{
			Reference: c.Args().Get(1), Changes: rawValues(c, "change"), Message: c.String("message"),
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, "sha256:"+img.ID)
		return nil
	})
}

func loginAction(c *cli.Context) error {
	registry, err := oneArg(c, "registry")
	if err != nil {
		return err
	}
	if c.Bool("get-login") {
		return withStore(c, func(s *storage.Store) error {
			user, err := s.LoginUser(registry, registryOptions(c))
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, user)
			return nil
		})
	}
	user, pass := c.String("username"), c.String("password")
	if c.Bool("password-stdin") {
		if pass != "" {
			return fmt.Errorf("--password and --password-stdin are exclusive")
		}
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading password from stdin: %w", err)
		}
		pass = strings.TrimRight(line, "\r\n")
	}
	if user == "" || pass == "" {
		return fmt.Errorf("login %s: give --username and --password or --password-stdin", registry)
	}
	return withStore(c, func(s *storage.Store) error {
		if err := s.Login(c.Context, registry, user, pass, registryOptions(c)); err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, "Login Succeeded!")
		return nil
	})
}

func logoutAction(c *cli.Context) error {
	if c.NArg() != 1 && !c.Bool("all") {
		return fmt.Errorf("logout requires a registry or --all")
	}
	return withStore(c, func(s *storage.Store) error {
		if err := s.Logout(c.Args().First(), c.Bool("all"), storage.RegistryOptions{AuthFile: c.String("authfile")}); err != nil {
			return err
		}
		if c.Bool("all") {
			fmt.Fprintln(c.App.Writer, "Removed login credentials for all registries")
		} else {
			fmt.Fprintf(c.App.Writer, "Removed login credentials for %s\n", c.Args().First())
		}
		return nil
	})
}

func pruneAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("image prune takes no arguments")
	}
	if !c.Bool("force") {
		// podman asks first, and fails on a closed stdin, rather than delete images
		// unasked.
		warning := "WARNING! This command removes all dangling images."
		if c.Bool("all") {
			warning = "WARNING! This command removes all images without at least one container associated with them."
		}
		if ok, err := confirm(c, warning); err != nil || !ok {
			return err
		}
	}
	return withStore(c, func(s *storage.Store) error {
		ids, err := s.PruneImages(storage.PruneOptions{All: c.Bool("all"), Filters: c.StringSlice("filter")})
		for _, id := range ids {
			fmt.Fprintln(c.App.Writer, id)
		}
		return err
	})
}
