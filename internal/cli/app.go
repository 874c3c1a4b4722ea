// Package cli is engine's command line: one urfave/cli App whose commands turn flags
// into one options struct, make one call into engine/, storage/, netcni/ or builder/,
// and print the result. The work lives in those packages, not here.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/storage"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "0.1.0-dev"

// Exit codes shared with podman and docker.
const (
	ExitEngine      = 125 // engine itself failed
	ExitCannotRun   = 126 // the command could not be invoked
	ExitNotFound    = 127 // the command was not found
	ExitNoSuchImage = 1   // rmi of an image that does not exist
	ExitImageInUse  = 2   // rmi of an image a container uses
)

// exitError carries the process exit code for an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// Run runs the CLI and returns the process exit code.
func Run(args []string) int {
	// Buffered: table output is written cell by cell, a syscall each on a bare os.Stdout.
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	// A command lives for milliseconds and allocates little that stays: collecting
	// garbage four times less often is CPU time returned (ps of 1,000 containers
	// spent a quarter of it in the collector).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if path := os.Getenv("ENGINE_CPUPROFILE"); path != "" {
		// For `make bench` investigations: where a command spends its time.
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	app := newApp(out, os.Stderr)
	err := app.Run(normalizeArgs(app, args))
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing output: %w", ferr)
	}
	if err == nil {
		return 0
	}
	code := ExitEngine
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintf(os.Stderr, "Error: %s\n", line)
		}
	}
	return code
}

func newApp(stdout, stderr io.Writer) *cli.App {
	// -h is --hostname for run and create, as in podman; help is --help only.
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Usage: "show help"}
	app := &cli.App{
		Name:                   "engine",
		Usage:                  "a daemonless container engine",
		Version:                Version,
		Writer:                 stdout,
		ErrWriter:              stderr,
		UseShortOptionHandling: true,
		EnableBashCompletion:   false,
		HideHelpCommand:        true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "storage root directory"},
			&cli.StringFlag{Name: "runroot", Usage: "storage state directory"},
			&cli.StringFlag{Name: "storage-driver", Usage: "storage driver (overlay, vfs)"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log level (debug, info, warn, error)"},
			&cli.StringFlag{Name: "registries-conf", EnvVars: []string{"CONTAINERS_REGISTRIES_CONF"}, Usage: "path to registries.conf"},
		},
		Before: func(c *cli.Context) error {
			lvl, err := logrus.ParseLevel(c.String("log-level"))
			if err != nil {
				return fmt.Errorf("invalid --log-level %q: %w", c.String("log-level"), err)
			}
			logrus.SetLevel(lvl)
			logrus.SetOutput(stderr)
			return nil
		},
		ExitErrHandler: func(*cli.Context, error) {}, // Run maps errors to codes
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return err
		},
	}
	app.Commands = append(app.Commands, imageCommands()...)
	app.Commands = append(app.Commands, containerCommands()...)
	app.Commands = append(app.Commands, volumeCommands()...)
	app.Commands = append(app.Commands, networkCommands()...)
	app.Commands = append(app.Commands, systemCommands()...)
	builds := buildCommands()
	app.Commands = append(app.Commands, builds...)
	addToGroup(app.Commands, "container", builds[0]) // container commit
	addToGroup(app.Commands, "image", builds[1])     // image build
	app.Commands = append(app.Commands, hiddenCommands()...)
	hideHelpCommands(app.Commands)
	return app
}

// hideHelpCommands drops the "help"/"h" subcommand urfave gives every command:
// `engine rm h` removes a container named h (help is --help). It also makes a
// bad flag one error line on stderr (exit 125), as podman: urfave's default
// prints "Incorrect Usage" and the command's help to stdout, which a script
// reading stdout would take for output.
func hideHelpCommands(cmds []*cli.Command) {
	for _, c := range cmds {
		if len(c.Subcommands) == 0 {
			c.HideHelpCommand = true
		}
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
		hideHelpCommands(c.Subcommands)
	}
}

// usageError is the error of a command line urfave cannot parse.
func usageError(c *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%w (see '%s --help')", err, c.Command.HelpName)
}

// openStore opens the store selected by the global flags.
func openStore(c *cli.Context) (*storage.Store, error) {
	return storage.Open(storeOptionsOf(c))
}

func storeOptionsOf(c *cli.Context) storage.Options {
	return storage.Options{
		Root:           c.String("root"),
		RunRoot:        c.String("runroot"),
		Driver:         c.String("storage-driver"),
		RegistriesConf: c.String("registries-conf"),
	}
}

// withStore opens the store, runs fn and closes the store.
func withStore(c *cli.Context, fn func(*storage.Store) error) error {
	s, err := openStore(c)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}
