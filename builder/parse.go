package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand // ARGs before the first FROM
	lex      *shell.Lex
}

// findDockerfile returns the Dockerfile to use: the given path (relative to the
// working directory, as podman's -f, or else to the context), else Containerfile
// or Dockerfile in the context.
func findDockerfile(contextDir, given string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err == nil {
			return given, nil
		}
		if in := filepath.Join(contextDir, given); !filepath.IsAbs(given) {
			if _, err := os.Stat(in); err == nil {
				return in, nil
			}
		}
		return "", fmt.Errorf("no Dockerfile at %s: %w", given, ErrInvalidArg)
	}
	for _, n := range []string{"Containerfile", "Dockerfile"} {
		p := filepath.Join(contextDir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Containerfile or Dockerfile in %s: %w", contextDir, ErrInvalidArg)
}

// parseDockerfile parses path; every syntax error and unknown instruction is
// reported with its line.
func parseDockerfile(path string) (*dockerfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Dockerfile: %w", err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %s: %w", path, oneLine(err), ErrInvalidArg)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing %s%s: %s: %w", path, lineOf(err), oneLine(err), ErrInvalidArg)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("parsing %s: no FROM instruction: %w", path, ErrInvalidArg)
	}
	return &dockerfile{stages: stages, metaArgs: metaArgs, lex: shell.NewLex(res.EscapeToken)}, nil
}

// lineOf is ":LINE" for an error that carries a Dockerfile location.
func lineOf(err error) string {
	var loc *parser.LocationError
	if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		return ":" + strconv.Itoa(loc.Locations[0][0].Start.Line)
	}
	return ""
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}

// stageIndex finds a stage by name (case-insensitive) or index.
func (d *dockerfile) stageIndex(name string) (int, bool) {
	for i, s := range d.stages {
		if s.Name != "" && strings.EqualFold(s.Name, name) {
			return i, true
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < len(d.stages) {
		return n, true
	}
	return -1, false
}

// needed returns the stages the target depends on (FROM and COPY --from of
// earlier stages), target included, in order: other stages are not built.
func (d *dockerfile) needed(target int) []int {
	want := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if want[i] {
			return
		}
		want[i] = true
		if j, ok := d.stageIndex(d.stages[i].BaseName); ok && j < i {
			visit(j)
		}
		for _, c := range d.stages[i].Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				if j, ok := d.stageIndex(cp.From); ok && j < i {
					visit(j)
				}
			}
		}
	}
	visit(target)
	var out []int
	for i := range d.stages {
		if want[i] {
			out = append(out, i)
		}
	}
	return out
}
