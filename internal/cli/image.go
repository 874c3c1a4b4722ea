package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"
	"go.podman.io/image/v5/types"
	"golang.org/x/term"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/storage"
)

func imageCommands() []*cli.Command {
	pull := &cli.Command{Name: "pull", Usage: "pull an image from a registry or transport", ArgsUsage: "NAME",
		Flags: append(append(registryFlags(), quietFlag()), platformFlags()...), Action: pullAction}
	push := &cli.Command{Name: "push", Usage: "push an image to a registry or transport", ArgsUsage: "IMAGE [DESTINATION]",
		Flags: append(registryFlags(), quietFlag(),
			&cli.StringFlag{Name: "digestfile", Usage: "write the digest of the pushed manifest to this file"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "manifest type to push: oci, v2s2 or v2s1"},
			&cli.StringFlag{Name: "compression-format", Usage: "layer compression: gzip, zstd or zstd:chunked"},
			&cli.BoolFlag{Name: "remove-signatures", Usage: "do not copy signatures"}),
		Action: pushAction}
	images := &cli.Command{Name: "images", Usage: "list images", Flags: imagesFlags(), Action: imagesAction}
	rmi := &cli.Command{Name: "rmi", Usage: "remove images", ArgsUsage: "IMAGE...", Action: rmiAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove images in use and their containers"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all images"},
		&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "ignore names that match no image"},
	}}
	tag := &cli.Command{Name: "tag", Usage: "add names to an image", ArgsUsage: "IMAGE NAME...", Action: tagAction}
	untag := &cli.Command{Name: "untag", Usage: "remove names from an image", ArgsUsage: "IMAGE [NAME...]", Action: untagAction}
	history := &cli.Command{Name: "history", Usage: "show the history of an image", ArgsUsage: "IMAGE", Action: historyAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "human", Aliases: []string{"H"}, Value: true, Usage: "human-readable sizes and times"},
		&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate output"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
		&cli.StringFlag{Name: "format", Usage: "json or a Go template"},
	}}
	save := &cli.Command{Name: "save", Usage: "save images to an archive", ArgsUsage: "IMAGE...", Action: saveAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file (default: stdout)"},
		&cli.StringFlag{Name: "format", Value: storage.FormatDockerArchive, Usage: "docker-archive, oci-archive, oci-dir or docker-dir"},
		quietFlag(),
		&cli.BoolFlag{Name: "multi-image-archive", Aliases: []string{"m"}, Usage: "accepted for podman compatibility; several images always go into one archive"},
	}}
	load := &cli.Command{Name: "load", Usage: "load images from an archive", Action: loadAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read from this file (default: stdin)"},
		quietFlag(),
	}}
	imp := &cli.Command{Name: "import", Usage: "create an image from a rootfs tarball", ArgsUsage: "FILE|URL|- [REFERENCE]", Action: importAction, Flags: []cli.Flag{
		&cli.GenericFlag{Name: "change", Aliases: []string{"c"}, Value: &rawList{}, Usage: "apply a Dockerfile instruction (CMD, ENV, ...); commas are kept"},
		&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "history comment"},
		quietFlag(),
	}}
	login := &cli.Command{Name: "login", Usage: "log in to a registry", ArgsUsage: "REGISTRY", Action: loginAction,
		Flags: append(registryFlags()[:3],
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from stdin"},
			&cli.BoolFlag{Name: "get-login", Usage: "print the user name stored for the registry"},
		)}
	logout := &cli.Command{Name: "logout", Usage: "log out of a registry", ArgsUsage: "REGISTRY", Action: logoutAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "authfile", EnvVars: []string{"REGISTRY_AUTH_FILE"}},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove all credentials"},
	}}
	inspect := &cli.Command{Name: "inspect", Usage: "show an image's details", ArgsUsage: "IMAGE...", Action: imageInspectAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "json or a Go template"},
	}}
	prune := &cli.Command{Name: "prune", Usage: "remove unused images", Action: pruneAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every image no container uses"},
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"},
		&cli.StringSliceFlag{Name: "filter"},
	}}
	exists := &cli.Command{Name: "exists", Usage: "exit 0 if the image exists, 1 if not", ArgsUsage: "IMAGE", Action: existsAction}
	ls := *images
	ls.Name, ls.Aliases = "ls", []string{"list"}
	rm := *rmi
	rm.Name = "rm"
	group := &cli.Command{Name: "image", Usage: "manage images", Subcommands: []*cli.Command{
		&ls, &rm, pull, push, tag, untag, inspect, history, save, load, imp, prune, exists,
	}}
	return []*cli.Command{group, pull, push, images, rmi, tag, untag, history, save, load, imp, login, logout}
}

func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress"}
}

func registryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "authfile", EnvVars: []string{"REGISTRY_AUTH_FILE"}, Usage: "path of the auth file"},
		&cli.StringFlag{Name: "cert-dir", Usage: "directory of TLS certificates"},
		&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "require HTTPS and verify certificates"},
		&cli.StringFlag{Name: "creds", Usage: "USER[:PASSWORD] for the registry"},
	}
}

// platformFlags choose an image of a manifest list, as podman's pull flags.
func platformFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "platform", Usage: "OS/ARCH[/VARIANT] of the image to pull from a manifest list"},
		&cli.StringFlag{Name: "os", Usage: "OS of the image to pull (instead of the host's)"},
		&cli.StringFlag{Name: "arch", Usage: "architecture of the image to pull (instead of the host's)"},
		&cli.StringFlag{Name: "variant", Usage: "architecture variant of the image to pull"},
	}
}

// platformOptions reads platformFlags; --platform excludes --os and --arch, as in podman.
func platformOptions(c *cli.Context) (osName, arch, variant string, err error) {
	osName, arch, variant = c.String("os"), c.String("arch"), c.String("variant")
	p := c.String("platform")
	if p == "" {
		return osName, arch, variant, nil
	}
	if osName != "" || arch != "" {
		return "", "", "", fmt.Errorf("--platform option can not be specified with --arch or --os")
	}
	parts := strings.Split(p, "/")
	if len(parts) > 3 || parts[0] == "" || (len(parts) > 1 && parts[1] == "") {
		return "", "", "", fmt.Errorf("invalid --platform %q: want OS[/ARCH[/VARIANT]]", p)
	}
	osName = parts[0]
	if len(parts) > 1 {
		arch = parts[1]
	}
	if len(parts) > 2 {
		variant = parts[2]
	}
	return osName, arch, variant, nil
}

func registryOptions(c *cli.Context) storage.RegistryOptions {
	o := storage.RegistryOptions{AuthFile: c.String("authfile"), Creds: c.String("creds"), CertDir: c.String("cert-dir")}
	if c.IsSet("tls-verify") {
		o.TLSVerify = types.NewOptionalBool(c.Bool("tls-verify"))
	}
	return o
}

// progressWriter is stderr on a terminal (containers/image draws bars there), else nil.
func progressWriter(c *cli.Context) io.Writer {
	if c.Bool("quiet") || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return os.Stderr
}

func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s requires exactly one %s", c.Command.Name, what)
	}
	return c.Args().First(), nil
}

func pullAction(c *cli.Context) error {
	name, err := oneArg(c, "image name")
	if err != nil {
		return err
	}
	o := storage.PullOptions{RegistryOptions: registryOptions(c), Progress: progressWriter(c)}
	if o.OS, o.Arch, o.Variant, err = platformOptions(c); err != nil {
		return err
	}
	return withStore(c, func(s *storage.Store) error {
		img, err := s.Pull(c.Context, name, o)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, img.ID)
		return nil
	})
}

func pushAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("push requires IMAGE and an optional DESTINATION")
	}
	return withStore(c, func(s *storage.Store) error {
		return s.Push(c.Context, c.Args().Get(0), c.Args().Get(1), storage.PushOptions{
			RegistryOptions: registryOptions(c), Progress: progressWriter(c), DigestFile: c.String("digestfile"),
			Format: c.String("format"), Compression: c.String("compression-format"),
			RemoveSignatures: c.Bool("remove-signatures"),
		})
	})
}

func tagAction(c *cli.Context) error {
	if c.NArg() < 2 {
		return fmt.Errorf("tag requires IMAGE and at least one NAME")
	}
	return withStore(c, func(s *storage.Store) error {
		return s.Tag(c.Args().First(), c.Args().Tail()...)
	})
}

func untagAction(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("untag requires IMAGE")
	}
	return withStore(c, func(s *storage.Store) error {
		return s.Untag(c.Args().First(), c.Args().Tail()...)
	})
}

func existsAction(c *cli.Context) error {
	name, err := oneArg(c, "image")
	if err != nil {
		return err
	}
	return withStore(c, func(s *storage.Store) error {
		if _, err := s.LookupImage(name); err != nil {
			if storage.IsNotFound(err) {
				return withCode(1, errSilent)
			}
			return err
		}
		return nil
	})
}

// errSilent ends a command with its exit code and prints nothing.
var errSilent = errors.New("")

func rmiAction(c *cli.Context) error {
	if c.NArg() == 0 && !c.Bool("all") {
		return fmt.Errorf("rmi requires at least one image name or --all")
	}
	if c.NArg() > 0 && c.Bool("all") {
		return fmt.Errorf("rmi: --all and image names are exclusive")
	}
	opts := storage.RemoveOptions{Force: c.Bool("force"), All: c.Bool("all"), Ignore: c.Bool("ignore")}
	return withRuntime(c, func(r *engine.Runtime) error {
		s := r.Store()
		if opts.Force {
			if err := removeImageUsers(r, c.Args().Slice(), opts); err != nil {
				return err
			}
		}
		rep, err := s.RemoveImages(c.Args().Slice(), opts)
		for _, n := range rep.Untagged {
			fmt.Fprintf(c.App.Writer, "Untagged: %s\n", n)
		}
		for _, id := range rep.Deleted {
			fmt.Fprintf(c.App.Writer, "Deleted: %s\n", id)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, storage.ErrImageInUse):
			return withCode(ExitImageInUse, err)
		case storage.IsNotFound(err):
			return withCode(ExitNoSuchImage, err)
		}
		return err
	})
}

// removeImageUsers removes, as `rm -f` does, the containers that use the images
// `rmi -f` is about to delete: a running one is stopped and its monitor, network
// and mounts go with it. The store alone could only drop their records and left
// their processes running (podman stops and removes them too).
func removeImageUsers(r *engine.Runtime, names []string, opts storage.RemoveOptions) error {
	ids, err := r.Store().ImagesToDelete(names, opts)
	if err != nil || len(ids) == 0 {
		return err
	}
	ctrs, err := r.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, ctr := range ctrs {
		if slices.Contains(ids, ctr.Config.ImageID) {
			if err := ctr.Remove(true); err != nil && !errors.Is(err, engine.ErrNoSuchContainer) {
				errs = append(errs, fmt.Errorf("removing container %s of an image being removed: %w", ctr.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func imageInspectAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("inspect requires at least one image")
	}
	return withStore(c, func(s *storage.Store) error {
		var out []*storage.ImageData
		var errs []error
		for _, name := range c.Args().Slice() {
			d, err := s.InspectImage(name)
			if err != nil {
				errs = append(errs, fmt.Errorf("inspecting object: %w", err))
				continue
			}
			out = append(out, d)
		}
		if f := c.String("format"); f != "" && f != "json" {
			if err := imageTemplate(c.App.Writer, f, out); err != nil {
				return err
			}
		} else if err := format.JSON(c.App.Writer, nonNilSlice(out)); err != nil {
			return err
		}
		return errors.Join(errs...)
	})
}

// idField is {{.Id}} (also in {{json .Id}}), docker's name of the image id.
var idField = regexp.MustCompile(`\.Id\b`)

// imageTemplate runs an `image inspect --format` template over each image's Go
// record, as podman does: a field the image's JSON leaves out (Config.Entrypoint of
// an image without one) prints as its zero value ("[]") instead of failing the
// command, and History rows have podman's field names ({{.CreatedBy}}). {{.Id}} is
// read as {{.ID}}, as podman rewrites it.
func imageTemplate(w io.Writer, tmpl string, images []*storage.ImageData) error {
	tmpl = idField.ReplaceAllString(tmpl, ".ID")
	for _, d := range images {
		if err := format.Value(w, tmpl, d); err != nil {
			return err
		}
	}
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// humanSize prints sizes as podman does: "2.02 MB".
func humanSize(n int64) string {
	s := units.HumanSizeWithPrecision(float64(n), 3)
	if i := strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }); i > 0 {
		return s[:i] + " " + s[i:]
	}
	return s
}

func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return units.HumanDuration(time.Since(t)) + " ago"
}
