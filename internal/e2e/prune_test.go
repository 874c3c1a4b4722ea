package e2e

import (
	"reflect"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

func TestImagePrune(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		keep := busybox(t, testutil.ImageOptions{Labels: map[string]string{"prune": "keep"}})
		drop := busybox(t, testutil.ImageOptions{Labels: map[string]string{"prune": "drop"}})
		pull(t, e, keep)
		pull(t, e, drop)
		e.Must(t, "untag", drop.ID) // now dangling

		out := e.Must(t, "image", "prune", "-f")
		if got := sortedLines(out); !reflect.DeepEqual(got, []string{drop.ID}) {
			t.Errorf("[%s] image prune -f printed %q, want the dangling image's id %s", e.Mode(), out, drop.ID)
		}
		if got := ids(t, e); !reflect.DeepEqual(got, []string{keep.ID}) {
			t.Errorf("[%s] after prune: ids %q, want [%s]", e.Mode(), got, keep.ID)
		}
		if out := e.Must(t, "image", "prune", "-f"); out != "" {
			t.Errorf("[%s] second prune printed %q, want nothing", e.Mode(), out)
		}
		// -a removes every image no container uses.
		out = e.Must(t, "image", "prune", "-a", "-f")
		if !strings.Contains(out, keep.ID) {
			t.Errorf("[%s] image prune -a -f printed %q, want %s", e.Mode(), out, keep.ID)
		}
		if got := ids(t, e); len(got) != 0 {
			t.Errorf("[%s] after prune -a: ids %q, want none", e.Mode(), got)
		}
	})
}
