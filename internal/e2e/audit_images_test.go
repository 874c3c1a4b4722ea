package e2e

import (
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// Differences from podman 4.3.1 found by a side-by-side audit of the image and
// volume commands, as CI scripts use them. Each test pins podman's behaviour.

// auditEngine is a root engine with one busybox image pulled; it returns the
// image's name. The audit is about output and exit codes, the same in both modes.
func auditEngine(t *testing.T) (*testutil.Engine, *testutil.Image, string) {
	t.Helper()
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := busybox(t, testutil.ImageOptions{})
	return e, img, pull(t, e, img)
}

// TestAuditRmiForceUnknown: `rmi -f` skips names that match no image, exit 0 and
// no message, as podman's does; without -f they stay errors (exit 1).
func TestAuditRmiForceUnknown(t *testing.T) {
	e, img, name := auditEngine(t)
	wantOut(t, e, e.Run("rmi", "-f", "audit-nosuch"), "")
	res := e.Run("rmi", "-f", "audit-nosuch", name)
	if res.Code != 0 || !contains(sortedLines(res.Stdout), "Deleted: "+img.ID) || res.Stderr != "" {
		t.Errorf("rmi -f nosuch %s: want exit 0 deleting %s and no stderr, got %s", name, img.ID, res)
	}
	wantError(t, e, e.Run("rmi", "audit-nosuch"), 1, false, "audit-nosuch")
}
