package e2e

import (
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// Engine errors exit 125 with one "Error: " line and create nothing.
func TestContainerEngineErrors(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		for _, tc := range []struct {
			args  []string
			wants []string
		}{
			{[]string{"run", "--pull=never", "localhost/nosuch:latest", "true"}, []string{"nosuch"}},
			{[]string{"create", "--pull=never", "localhost/nosuch:latest", "true"}, []string{"nosuch"}},
			{[]string{"run", "--restart=bogus", img, "true"}, []string{"bogus", "restart"}},
			{[]string{"run", "--restart=on-failure:x", img, "true"}, []string{"restart", "on-failure"}},
			{[]string{"run", "--stop-timeout=-1", img, "true"}, []string{"stop-timeout"}},
			{[]string{"run", "--stop-signal=BOGUS", img, "true"}, []string{"signal"}},
			{[]string{"run", "-u", "nosuchuser", img, "id"}, []string{"nosuchuser"}},
			{[]string{"run", "--rm", "-u", "nosuchuser", img, "id"}, []string{"nosuchuser"}},
			{[]string{"run", "-u", "app:nosuchgroup", img, "id"}, []string{"nosuchgroup"}},
			{[]string{"run", "--env-file", "/nonexistent/env", img, "true"}, []string{"/nonexistent/env"}},
			{[]string{"run", "--log-driver", "bogus", img, "true"}, []string{"bogus", "log-driver"}},
			{[]string{"run", "--bogus-flag", img, "true"}, []string{"bogus-flag"}},
			{[]string{"run"}, []string{"image", "arg"}},
		} {
			res := e.Run(tc.args...)
			wantError(t, e, res, 125, false, tc.wants...)
			noContainers(t, e, res.Cmd)
			e.Run("rm", "-a", "-f")
		}

		// kill with an unknown signal: 125, and the container is untouched.
		e.Must(t, "run", "-d", "--name", "k", img, "sleep", "1000")
		for _, sig := range []string{"BOGUS", "SIGBOGUS", "99"} {
			res := e.Run("kill", "-s", sig, "k")
			wantError(t, e, res, 125, false, "signal")
		}
		if got := inspectCtr(t, e, "k"); !got.State.Running {
			t.Errorf("[%s] after kill with bad signals: Status %q, want running", e.Mode(), got.State.Status)
		}

		// A name in use: 125.
		res := e.Run("run", "-d", "--name", "k", img, "sleep", "1000")
		wantError(t, e, res, 125, false, "already in use")
		res = e.Run("create", "--name", "k", img, "true")
		wantError(t, e, res, 125, false, "already in use")
		if got := len(sortedLines(e.Must(t, "ps", "-a", "-q"))); got != 1 {
			t.Errorf("[%s] %d containers after the name clashes, want 1", e.Mode(), got)
		}
	})
}

// Commands on a container that does not exist: podman exits 1 for rm, 0 for rm -f
// and 125 for everything else.
func TestContainerNoSuch(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		ctrSetup(t, e)

		for _, tc := range []struct {
			args []string
			code int
		}{
			{[]string{"rm", "nosuch"}, 1},
			{[]string{"stop", "nosuch"}, 125},
			{[]string{"kill", "nosuch"}, 125},
			{[]string{"wait", "nosuch"}, 125},
			{[]string{"logs", "nosuch"}, 125},
			{[]string{"start", "nosuch"}, 125},
			{[]string{"restart", "nosuch"}, 125},
			{[]string{"attach", "nosuch"}, 125},
			{[]string{"exec", "nosuch", "true"}, 125},
			{[]string{"pause", "nosuch"}, 125},
			{[]string{"unpause", "nosuch"}, 125},
			{[]string{"container", "inspect", "nosuch"}, 125},
		} {
			res := e.Run(tc.args...)
			wantError(t, e, res, tc.code, false, "no such container", "no container")
		}
		res := e.Run("inspect", "nosuch")
		wantError(t, e, res, 125, false, "no such object", "nosuch")
		// rm -f ignores containers that do not exist (podman).
		wantOut(t, e, e.Run("rm", "-f", "nosuch"), "")
	})
}
