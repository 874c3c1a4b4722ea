package cli

import (
	"bytes"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryCommandHelp builds every command's flag set (urfave panics on a flag
// defined twice, e.g. -h) and checks that each prints its help.
func TestEveryCommandHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	app := newApp(&out, &errOut)
	var walk func(prefix []string, cmds []*cli.Command)
	n := 0
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				continue
			}
			args := append(append([]string{}, prefix...), c.Name)
			if len(c.Subcommands) > 0 {
				walk(args, c.Subcommands)
				continue
			}
			out.Reset()
			if err := newApp(&out, &errOut).Run(append(append([]string{"engine"}, args...), "--help")); err != nil {
				t.Errorf("%v --help: %v", args, err)
			}
			if !bytes.Contains(out.Bytes(), []byte("USAGE")) {
				t.Errorf("%v --help printed no usage: %q", args, out.String())
			}
			n++
		}
	}
	walk(nil, app.Commands)
	if n < 30 {
		t.Errorf("only %d commands found", n)
	}
}
