package cli

import (
	"bytes"
	"strings"
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
			// A bad flag is an error naming it, with nothing on stdout (podman).
			out.Reset()
			errOut.Reset()
			err := newApp(&out, &errOut).Run(append(append([]string{"engine"}, args...), "--no-such-flag"))
			if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
				t.Errorf("%v --no-such-flag: error %v, want one naming the flag", args, err)
			}
			if out.Len() > 0 || errOut.Len() > 0 {
				t.Errorf("%v --no-such-flag printed %q and %q, want only the error", args, out.String(), errOut.String())
			}
			n++
		}
	}
	walk(nil, app.Commands)
	if n < 30 {
		t.Errorf("only %d commands found", n)
	}
}
