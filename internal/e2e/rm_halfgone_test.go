package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestRmRecordWithoutDirectory: a container record whose directory is gone (a create
// or remove killed half-way) is removed by rm and by rm -a -f, not reported as
// missing while it stays listed.
func TestRmRecordWithoutDirectory(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		for _, args := range [][]string{{"rm", "half"}, {"rm", "-a", "-f"}} {
			id := strings.TrimSpace(e.Must(t, "create", "--name", "half", img, "true"))
			if err := os.RemoveAll(filepath.Join(e.Root, "overlay-containers", id)); err != nil {
				t.Fatal(err)
			}
			if res := e.Run(args...); res.Code != 0 {
				t.Errorf("[%s] %v of a container without its directory: %s", e.Mode(), args, res)
			}
			noContainers(t, e, strings.Join(args, " ")+" of a container without its directory")
		}
	})
}
