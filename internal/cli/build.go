package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/builder"
	"github.com/engine-dev/engine/engine"
)

// buildCommands are commit and build (also `container commit` and `image build`,
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
			&cli.StringFlag{Name: "iidfile", Usage: "also write the image id to this file"},
		}}
	build := &cli.Command{Name: "build", Usage: "build an image from a Dockerfile", ArgsUsage: "CONTEXT",
		Action: buildAction, Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "tag", Aliases: []string{"t"}, Usage: "name of the image"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile (default: CONTEXT/Containerfile or CONTEXT/Dockerfile)"},
			&cli.BoolFlag{Name: "no-cache", Usage: "run every step; do not reuse earlier results"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image id"},
			&cli.GenericFlag{Name: "build-arg", Value: &rawList{}, Usage: "KEY=VALUE for an ARG"},
			&cli.GenericFlag{Name: "label", Value: &rawList{}, Usage: "KEY=VALUE label of the image"},
			&cli.StringFlag{Name: "target", Usage: "last stage to build"},
			&cli.StringFlag{Name: "pull", Value: "missing", Usage: "missing, always or never"},
			&cli.StringFlag{Name: "network", Usage: "network of RUN steps: host (default), none, bridge or a network name"},
			&cli.BoolFlag{Name: "layers", Value: true, Usage: "accepted: every step is cached"},
			&cli.BoolFlag{Name: "rm", Value: true, Usage: "accepted: step containers are always removed"},
			&cli.BoolFlag{Name: "force-rm", Usage: "accepted: step containers are always removed, also after a failure"},
			&cli.StringFlag{Name: "platform", Usage: "OS/ARCH[/VARIANT]: accepted when it is the host's (no cross-builds)"},
			&cli.StringFlag{Name: "os", Usage: "accepted when it is the host's OS"},
			&cli.StringFlag{Name: "arch", Usage: "accepted when it is the host's architecture"},
			&cli.StringFlag{Name: "format", Value: "oci", Usage: "image format: oci"},
			&cli.StringFlag{Name: "iidfile", Usage: "also write the image id to this file"},
			&cli.GenericFlag{Name: "secret", Value: &rawList{}, Usage: "id=ID,src=PATH: a file RUN --mount=type=secret shows"},
			&cli.GenericFlag{Name: "volume", Aliases: []string{"v"}, Value: &rawList{}, Usage: "SRC:DST[:OPTS] bind mount for every RUN"},
		}, registryFlags()...)}
	return []*cli.Command{commit, build}
}

func buildAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return fmt.Errorf("build takes at most one context directory")
	}
	contextDir := c.Args().First()
	if contextDir == "" {
		contextDir = "." // podman's default
	}
	if f := c.String("format"); f != "oci" {
		return fmt.Errorf("unsupported --format %q: only oci", f)
	}
	if err := hostPlatformOnly(c); err != nil {
		return err
	}
	args, err := builder.ParseBuildArgs(rawValues(c, "build-arg"))
	if err != nil {
		return err
	}
	secrets, err := builder.ParseSecrets(rawValues(c, "secret"))
	if err != nil {
		return err
	}
	o := builder.Options{
		ContextDir: contextDir, Dockerfile: c.String("file"), Tags: c.StringSlice("tag"),
		NoCache: c.Bool("no-cache"), Quiet: c.Bool("quiet"), BuildArgs: args, Labels: keyValues(rawValues(c, "label")),
		Target: c.String("target"), Pull: c.String("pull"), Network: c.String("network"), Secrets: secrets,
		Volumes: rawValues(c, "volume"),
		Out:     flushWriter{c.App.Writer}, Err: c.App.ErrWriter, Registry: registryOptions(c),
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return withRuntime(c, func(r *engine.Runtime) error {
		id, err := builder.Build(ctx, r, o)
		var re *builder.RunError
		if errors.As(err, &re) {
			return withCode(re.Code, err)
		}
		if err != nil {
			return err
		}
		return printImageID(c, id)
	})
}

// hostPlatformOnly accepts build's --platform, --os and --arch when they name the
// host's platform, as CI scripts pin them, and refuses a cross-build clearly: RUN
// steps would need an emulator, and the image would claim the host's platform. A
// variant is not checked.
func hostPlatformOnly(c *cli.Context) error {
	osName, arch, _, err := platformOptions(c)
	if err != nil {
		return err
	}
	if (osName != "" && osName != runtime.GOOS) || (arch != "" && arch != runtime.GOARCH) {
		return fmt.Errorf("building for %s/%s is not supported: only for the host's platform %s/%s",
			orDefault(osName, runtime.GOOS), orDefault(arch, runtime.GOARCH), runtime.GOOS, runtime.GOARCH)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// printImageID prints a new image's id, and writes it to --iidfile as podman
// ("sha256:" + id).
func printImageID(c *cli.Context, id string) error {
	if f := c.String("iidfile"); f != "" {
		if err := os.WriteFile(f, []byte("sha256:"+id), 0o644); err != nil {
			return fmt.Errorf("writing --iidfile: %w", err)
		}
	}
	fmt.Fprintln(c.App.Writer, id)
	return nil
}

// flushWriter flushes after each write, so that step lines and RUN output
// appear as they happen.
type flushWriter struct{ w io.Writer }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(interface{ Flush() error }); ok && err == nil {
		err = fl.Flush()
	}
	return n, err
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
		return printImageID(c, img.ID)
	})
}
