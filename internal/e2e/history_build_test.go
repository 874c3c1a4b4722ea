package e2e

import (
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestHistoryOfBuild: a build that ends with config-only steps names the image on
// its newest history row only; the RUN row below has no image of its own.
func TestHistoryOfBuild(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := ctrSetup(t, e)
	ctx := buildContext(t, e, "hist", map[string]string{"Dockerfile": "FROM " + img + "\nRUN echo x > /x\nCMD [\"sh\"]\n"})
	id := strings.TrimSpace(e.Must(t, "build", "-q", "-t", "hist", ctx))
	rows := strings.Split(strings.TrimSpace(e.Must(t, "history", "--no-trunc", "--format", "{{.ID}} {{.CreatedBy}}", "hist")), "\n")
	if len(rows) < 3 || strings.TrimPrefix(strings.Fields(rows[0])[0], "sha256:") != strings.TrimPrefix(id, "sha256:") || !strings.HasPrefix(rows[1], "<missing> ") || !strings.Contains(rows[1], "echo x") {
		t.Errorf("history of a build ending in CMD (image %s):\n%s", id, strings.Join(rows, "\n"))
	}
	e.Must(t, "rmi", "hist")
}
