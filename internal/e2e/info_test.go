package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestInfoAndVersion: `info` and `version` answer podman's --format json and Go
// templates with podman's names, and count what the store holds.
func TestInfoAndVersion(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "create", "--name", "counted", img, "true")
		var in struct {
			Host struct {
				Security      struct{ Rootless bool }
				CgroupVersion string
			}
			Store struct {
				GraphRoot      string
				ContainerStore struct{ Number, Stopped int }
				ImageStore     struct{ Number int }
			}
			Version struct{ Version string }
		}
		if err := json.Unmarshal([]byte(e.Must(t, "info", "--format", "json")), &in); err != nil {
			t.Fatalf("[%s] info --format json: %v", e.Mode(), err)
		}
		if in.Host.Security.Rootless != e.Rootless() || in.Store.GraphRoot != e.Root || in.Host.CgroupVersion == "" ||
			in.Store.ContainerStore.Number != 1 || in.Store.ContainerStore.Stopped != 1 || in.Store.ImageStore.Number != 1 || in.Version.Version == "" {
			t.Errorf("[%s] info: %+v", e.Mode(), in)
		}
		got := strings.TrimSpace(e.Must(t, "info", "--format", "{{.Host.Security.Rootless}} {{.Store.ContainerStore.Number}}"))
		if want := map[bool]string{true: "true 1", false: "false 1"}[e.Rootless()]; got != want {
			t.Errorf("[%s] info --format template: %q, want %q", e.Mode(), got, want)
		}
		if out := e.Must(t, "info"); !strings.Contains(out, "graphRoot: "+e.Root) {
			t.Errorf("[%s] info (YAML) lacks graphRoot: %s", e.Mode(), out)
		}
		if v := strings.TrimSpace(e.Must(t, "version", "--format", "{{.Client.Version}}")); v == "" {
			t.Errorf("[%s] version --format: empty", e.Mode())
		}
		var v struct {
			Client struct{ Version, OsArch string }
		}
		if err := json.Unmarshal([]byte(e.Must(t, "version", "--format", "json")), &v); err != nil || v.Client.OsArch == "" {
			t.Errorf("[%s] version --format json: %+v %v", e.Mode(), v, err)
		}
		wantError(t, e, e.Run("info", "--format", "{{.Nope}}"), 125, false, "invalid --format")
		e.Must(t, "rm", "counted")
	})
}
