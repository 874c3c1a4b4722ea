package e2e

import (
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// system prune removes stopped containers and dangling images, keeps running
// containers and tagged images, and asks first unless -f.
func TestSystemPrune(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		stopped := strings.TrimSpace(e.Must(t, "create", "--network", "none", img, "true"))
		running := strings.TrimSpace(e.Must(t, "run", "-d", "--network", "none", img, "sleep", "100"))

		// Without -f it asks; "n" keeps everything.
		res := e.RunStdin(strings.NewReader("n\n"), "system", "prune")
		if res.Code != 0 || !strings.Contains(res.Stdout, "Are you sure") {
			t.Fatalf("[%s] system prune answered n: %s", e.Mode(), res)
		}
		if got := e.Must(t, "ps", "-a", "-q", "--no-trunc"); !strings.Contains(got, stopped) {
			t.Fatalf("[%s] prune answered n removed %s: ps -a %q", e.Mode(), stopped, got)
		}

		out := e.Must(t, "system", "prune", "-f")
		if !strings.Contains(out, "Deleted Containers") || !strings.Contains(out, stopped) {
			t.Errorf("[%s] system prune -f printed %q, want the stopped container", e.Mode(), out)
		}
		got := e.Must(t, "ps", "-a", "-q", "--no-trunc")
		if strings.Contains(got, stopped) || !strings.Contains(got, running) {
			t.Errorf("[%s] after prune ps -a = %q: want %s gone and %s kept", e.Mode(), got, stopped, running)
		}
		if res := e.Run("image", "exists", img); res.Code != 0 {
			t.Errorf("[%s] system prune removed the tagged image %s in use: %s", e.Mode(), img, res)
		}
	})
}
