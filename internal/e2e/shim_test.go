package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// The monitor runs the create helper from the shim bin/engine carries
// (internal/shim): its monitor.conf names the shim, written once into the run
// root, and failures inside the helper still map to 126 and 127. exec goes
// through the shim too.
func TestShimCreateHelper(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		res := e.Run("__shim")
		if os.Getenv("ENGINE_BINARY") != "" && res.Code != 0 {
			t.Fatalf("[%s] the Makefile's bin/engine carries no shim: %s", e.Mode(), res)
		}
		shim := ""
		if res.Code == 0 {
			shim = filepath.Join(e.RunRoot, "engine", strings.TrimSpace(res.Stdout))
		}

		id := runDetached(t, e, "--network", "none", img, "sleep", "30")
		conf, err := os.ReadFile(filepath.Join(e.RunRoot, "overlay-containers", id, "userdata", "monitor.conf"))
		if err != nil {
			t.Fatal(err)
		}
		var args []string
		for _, l := range strings.Split(string(conf), "\n") {
			if v, ok := strings.CutPrefix(l, "create_arg="); ok {
				args = append(args, v)
			}
		}
		switch {
		case shim == "":
			if len(args) < 3 || args[len(args)-3] != "__create" {
				t.Errorf("[%s] binary without a shim: create helper %q, want the binary's __create", e.Mode(), args)
			}
		case len(args) != 4 || args[0] != shim || args[1] != "create" || args[3] != id:
			t.Errorf("[%s] create helper %q, want [%s create RUNDIR %s]", e.Mode(), args, shim, id)
		default:
			st, err := os.Stat(shim)
			if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o555 {
				t.Errorf("[%s] shim %s: %v, mode %v; want a regular file, mode 0555", e.Mode(), shim, err, st.Mode())
			}
		}

		// exec runs through the shim as well: codes of the process, of a
		// signal, and of a command that cannot run.
		res = e.Run("exec", id, "sh", "-c", "exit 7")
		if res.Code != 7 {
			t.Errorf("[%s] %s: exit code %d, want 7\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		res = e.Run("exec", id, "sh", "-c", "kill -TERM $$")
		if res.Code != 143 {
			t.Errorf("[%s] %s: exit code %d, want 143 (SIGTERM)\nstderr: %s", e.Mode(), res.Cmd, res.Code, res.Stderr)
		}
		wantOut(t, e, e.RunStdin(strings.NewReader("in\n"), "exec", "-i", "-e", "X=y", "-w", "/bin", id, "sh", "-c", "cat; echo $X; pwd"), "in\ny\n/bin\n")
		wantError(t, e, e.Run("exec", id, "nosuchcmd"), 127, false, "not found")
		wantError(t, e, e.Run("exec", id, "/"), 126, false, "permission denied", "is a directory")
		e.Must(t, "rm", "-f", id)

		// The CLI finds /bin/true in the image; a mount hides it, so only the
		// helper (libcontainer's init) can tell: not found, then not executable.
		empty := filepath.Join(e.Home, "empty-bin")
		noexec := filepath.Join(e.Home, "noexec-bin")
		for _, d := range []string{empty, noexec} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(noexec, "true"), []byte("not a program\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res = e.Run("run", "--rm", "--network", "none", "-v", empty+":/bin", img, "true")
		wantError(t, e, res, 127, false, "not found")
		res = e.Run("run", "--rm", "--network", "none", "-v", noexec+":/bin", img, "/bin/true")
		wantError(t, e, res, 126, false, "permission denied")
		noContainers(t, e, "failed runs")
	})
}
