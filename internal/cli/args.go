package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Commands whose first positional argument ends the flags, as in podman (cobra's
// SetInterspersed(false)): what follows belongs to the container's command (for
// top, ps(1) options: `top CTR -ef`).
var noInterspersed = map[string]bool{"run": true, "create": true, "exec": true, "top": true}

// normalizeArgs rewrites a command line so that urfave/cli reads it as podman's
// cobra does:
//   - a flag may be given under each of its names in one command line (-e and --env);
//     urfave refuses "two forms of the same flag", so every alias becomes its first name;
//   - a short flag may carry its value ("-t0", "-p8080:80"), and short booleans combine
//     ("-dit"), which Go's flag package would read as one unknown flag;
//   - flags may follow positional arguments ("inspect NAME --format X", "rm -f a b -v"),
//     except for run, create, exec and top, whose command line ends the flags.
func normalizeArgs(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	flags, cmds := app.Flags, app.Commands
	for {
		// The app's and a command group's flags end at the (sub)command's name.
		norm, positional, tail := splitFlags(flags, rest, false)
		out = append(out, norm...)
		if len(positional) == 0 {
			return append(out, tail...)
		}
		cmd := findCommand(cmds, positional[0])
		if cmd == nil || cmd.SkipFlagParsing {
			return append(append(out, positional...), tail...)
		}
		out = append(out, positional[0])
		if len(cmd.Subcommands) > 0 {
			flags, cmds, rest = cmd.Flags, cmd.Subcommands, tail
			continue
		}
		norm, positional, tail = splitFlags(cmd.Flags, tail, !noInterspersed[cmd.Name])
		out = append(append(out, norm...), positional...)
		return append(out, tail...)
	}
}

// splitFlags separates args into normalized flags, positional arguments and a tail
// that is passed on untouched (after "--", or after the first positional argument
// when flags may not follow it; then the tail keeps the "--").
func splitFlags(flags []cli.Flag, args []string, interspersed bool) (norm, positional, tail []string) {
	byName := map[string]cli.Flag{}
	for _, f := range flags {
		for _, n := range f.Names() {
			byName[n] = f
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return norm, positional, args[i:]
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			if !interspersed {
				return norm, positional, args[i+1:]
			}
			continue
		}
		expanded, takesNext := expandFlag(byName, a)
		norm = append(norm, expanded...)
		if takesNext && i+1 < len(args) {
			i++
			norm = append(norm, args[i])
		}
	}
	return norm, positional, nil
}

// expandFlag normalizes one flag argument and says whether the next argument is
// its value. Unknown flags are left as they are, for urfave to report.
func expandFlag(byName map[string]cli.Flag, a string) ([]string, bool) {
	long := strings.HasPrefix(a, "--")
	name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
	if f, ok := byName[name]; ok {
		flag := canonical(f)
		if hasValue {
			return []string{flag + "=" + value}, false
		}
		return []string{flag}, takesValue(f)
	}
	if long || hasValue {
		return []string{a}, false
	}
	// -dit (booleans) or -t0 / -p8080:80 (a short flag and its value).
	var out []string
	for j := 1; j < len(a); j++ {
		f, ok := byName[a[j:j+1]]
		if !ok {
			return []string{a}, false
		}
		out = append(out, canonical(f))
		if takesValue(f) {
			if j+1 < len(a) {
				return append(out, a[j+1:]), false
			}
			return out, true
		}
	}
	return out, false
}

// canonical is a flag's first name as an argument.
func canonical(f cli.Flag) string {
	if n := f.Names()[0]; len(n) > 1 {
		return "--" + n
	}
	return "-" + f.Names()[0]
}

func takesValue(f cli.Flag) bool {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
