package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// heredocArgs turns a RUN with here-documents into its command line, as
// BuildKit does: a lone here-document is the script (run by the shell, or,
// with a #! line, as a file of its own); here-documents that feed a command
// are put back after it for the shell to read. It returns the bind mounts a
// script file needs and a clean-up.
func (b *build) heredocArgs(st *stageState, c *instructions.RunCommand) ([]string, []string, func(), error) {
	noop := func() {}
	if len(c.CmdLine) != 1 || !c.PrependShell {
		return nil, nil, noop, fmt.Errorf("RUN: here-documents need the shell form: %w", ErrInvalidArg)
	}
	if parser.MustParseHeredoc(c.CmdLine[0]) == nil {
		var sb strings.Builder
		sb.WriteString(c.CmdLine[0])
		for _, f := range c.Files {
			sb.WriteString("\n" + f.Data + f.Name)
		}
		return append(append([]string(nil), st.shell...), sb.String()), nil, noop, nil
	}
	data := c.Files[0].Data
	if c.Files[0].Chomp {
		data = parser.ChompHeredocContent(data)
	}
	if !strings.HasPrefix(data, "#!") {
		return append(append([]string(nil), st.shell...), data), nil, noop, nil
	}
	dir, err := os.MkdirTemp(b.s.SystemContext().BigFilesTemporaryDir, "heredoc-")
	if err != nil {
		return nil, nil, noop, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	name := filepath.Base(c.Files[0].Name)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o755); err != nil {
		cleanup()
		return nil, nil, noop, err
	}
	// Started through the shell: the file is only there once the container
	// runs, and engine checks a command in the image before it starts one.
	target := "/dev/pipes/" + name
	args := append(append([]string(nil), st.shell...), target)
	return args, []string{"type=bind,src=" + filepath.Join(dir, name) + ",dst=" + target + ",ro"}, cleanup, nil
}
