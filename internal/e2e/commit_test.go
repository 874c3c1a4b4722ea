package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// imageDetails is the part of `image inspect` the build and commit tests check.
type imageDetails struct {
	ID     string `json:"Id"`
	Author string `json:"Author"`
	Config struct {
		Env          []string            `json:"Env"`
		Cmd          []string            `json:"Cmd"`
		Entrypoint   []string            `json:"Entrypoint"`
		WorkingDir   string              `json:"WorkingDir"`
		User         string              `json:"User"`
		Labels       map[string]string   `json:"Labels"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Volumes      map[string]struct{} `json:"Volumes"`
		StopSignal   string              `json:"StopSignal"`
	} `json:"Config"`
	RootFS struct {
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
}

func inspectImage(t *testing.T, e *testutil.Engine, name string) imageDetails {
	t.Helper()
	out := e.Must(t, "image", "inspect", name)
	var list []imageDetails
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("[%s] image inspect %s: %v\n%s", e.Mode(), name, err, out)
	}
	return list[0]
}

// historyEntry is one row of `history --format json`.
type historyEntry struct {
	ID        string `json:"id"`
	CreatedBy string `json:"CreatedBy"`
	Size      int64  `json:"size"`
	Comment   string `json:"comment"`
}

func imageHistory(t *testing.T, e *testutil.Engine, name string) []historyEntry {
	t.Helper()
	out := e.Must(t, "history", "--format", "json", name)
	var h []historyEntry
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("[%s] history %s: %v\n%s", e.Mode(), name, err, out)
	}
	return h
}

// mustID runs args, which must print one image id and nothing else.
func mustID(t *testing.T, e *testutil.Engine, args ...string) string {
	t.Helper()
	res := e.Run(args...)
	id := strings.TrimSpace(res.Stdout)
	if res.Code != 0 || !hex64.MatchString(id) {
		t.Fatalf("[%s] %s: want one image id\ngot: %s", e.Mode(), res.Cmd, res)
	}
	return id
}

// TestCommitStopped commits an exited container with changes, author and message,
// then runs the new image.
func TestCommitStopped(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		e.Must(t, "run", "--name", "c1", "--network", "none", bb, "sh", "-c", "echo hi > /hello; rm /bin/cat")
		id := mustID(t, e, "commit", "-a", "Ann", "-m", "my message",
			"-c", `CMD ["sh", "-c", "echo $GREETING; head -c 100 /hello; id -u; pwd"]`, "-c", "ENV GREETING=howdy",
			"-c", "LABEL team=build", "-c", "EXPOSE 8080", "-c", "WORKDIR /tmp", "-c", "USER app", "c1", "committed")
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "committed"), "howdy\nhi\n1000\n/tmp\n")
		if res := e.Run("run", "--rm", "--network", "none", "committed", "test", "-e", "/bin/cat"); res.Code != 1 {
			t.Errorf("[%s] /bin/cat, removed in the container, is in the committed image: %s", e.Mode(), res)
		}
		d := inspectImage(t, e, "committed")
		if d.ID != id || d.Author != "Ann" || d.Config.Labels["team"] != "build" || d.Config.User != "app" {
			t.Errorf("[%s] committed image: id %s (want %s), author %q, labels %v, user %q", e.Mode(), d.ID, id, d.Author, d.Config.Labels, d.Config.User)
		}
		if _, ok := d.Config.ExposedPorts["8080/tcp"]; !ok || len(d.RootFS.Layers) != 2 {
			t.Errorf("[%s] committed image: ports %v, layers %v (want 8080/tcp, 2 layers)", e.Mode(), d.Config.ExposedPorts, d.RootFS.Layers)
		}
		h := imageHistory(t, e, "committed")
		if len(h) != 2 || h[0].ID != id || h[0].Comment != "my message" || !strings.Contains(h[0].CreatedBy, "echo hi") || h[0].Size == 0 {
			t.Errorf("[%s] history of the committed image: %+v", e.Mode(), h)
		}
		// An untagged commit prints a new id too and lists as <none>.
		id2 := mustID(t, e, "container", "commit", "-q", "c1")
		if id2 == id || !strings.Contains(e.Must(t, "images", "-q", "--no-trunc"), id2) {
			t.Errorf("[%s] untagged commit %s: not listed or same id as %s", e.Mode(), id2, id)
		}
	})
}

// TestCommitRunning commits a running container, which keeps running.
func TestCommitRunning(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		runDetached(t, e, "--name", "live", "--network", "none", bb, "sh", "-c", "echo alive > /state; exec sleep 1000")
		waitFor := func() bool { return e.Run("exec", "live", "test", "-f", "/state").Code == 0 }
		if !eventually(10*time.Second, waitFor) {
			t.Fatalf("[%s] /state never appeared", e.Mode())
		}
		args := []string{"commit", "live", "snap"}
		if !e.Rootless() {
			args = []string{"commit", "--pause", "live", "snap"} // the freezer: root only on cgroup v1
		}
		mustID(t, e, args...)
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "snap", "cat", "/state"), "alive\n")
		if st := inspectCtr(t, e, "live").State; !st.Running || st.Paused {
			t.Errorf("[%s] after commit the container is running=%v paused=%v, want running", e.Mode(), st.Running, st.Paused)
		}
	})
}

// TestCommitBadInput: one error line, exit 125, nothing written.
func TestCommitBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		e.Must(t, "create", "--name", "c1", "--network", "none", bb, "true")
		before := snapshot(t, e)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"commit", "nosuch", "x"}, "no such container"},
			{[]string{"commit", "c1", "BAD NAME"}, "invalid reference"},
			{[]string{"commit", "-c", "FOO bar", "c1", "x"}, "FOO"},
			{[]string{"commit"}, "requires a container"},
		} {
			wantError(t, e, e.Run(tc.args...), 125, false, tc.want)
		}
		wantUnchanged(t, e, before, "failed commits")
	})
}
