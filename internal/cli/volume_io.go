package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/engine-dev/engine/engine"
)

func volumeExportAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("volume export requires exactly one volume name")
	}
	out := c.String("output")
	if out == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return fmt.Errorf("cannot write to terminal, use command-line redirection or the --output flag")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if out == "" {
			return r.VolumeExport(c.Args().First(), c.App.Writer)
		}
		return exportToFile(r, c.Args().First(), out)
	})
}

// exportToFile writes the tar next to path and renames it into place, so a failed
// export leaves no partial file.
func exportToFile(r *engine.Runtime, name, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if err := r.VolumeExport(name, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func volumeImportAction(c *cli.Context) error {
	if c.NArg() != 2 {
		return fmt.Errorf("volume import requires a volume name and a file (or - for stdin)")
	}
	var in io.Reader = os.Stdin
	if src := c.Args().Get(1); src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("volume import: %w", err)
		}
		defer f.Close()
		in = f
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		return r.VolumeImport(c.Args().First(), in)
	})
}
