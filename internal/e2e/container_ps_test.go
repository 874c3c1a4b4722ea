package e2e

import (
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

func TestContainerPsFilters(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "web", "--label", "role=web", img, "sleep", "1000")
		e.Must(t, "run", "--name", "ok", img, "true")
		res := e.Run("run", "--name", "db", "--label", "role=db", img, "sh", "-c", "exit 3")
		if res.Code != 3 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		e.Must(t, "create", "--name", "fresh", img, "true")
		dbID := inspectCtr(t, e, "db").ID

		check := func(want string, args ...string) {
			t.Helper()
			if got := strings.Join(psNames(t, e, args...), ","); got != want {
				t.Errorf("[%s] ps %s: %q, want %q", e.Mode(), strings.Join(args, " "), got, want)
			}
		}
		check("web")
		check("db,fresh,ok,web", "-a")
		check("fresh", "-l")
		check("fresh", "-a", "-n", "1")
		check("db,fresh", "-n", "2")
		check("db,ok", "--filter", "status=exited")
		check("web", "--filter", "status=running")
		check("fresh", "--filter", "status=created")
		check("web", "--filter", "name=web")
		check("db", "--filter", "id="+dbID[:10])
		check("db", "--filter", "id="+dbID)
		check("web", "--filter", "label=role=web")
		check("db,web", "--filter", "label=role")
		check("", "--filter", "label=role=none")
		check("db,fresh,ok,web", "--filter", "ancestor="+img)
		check("", "--filter", "ancestor=localhost/nosuch:latest")
		check("db", "--filter", "exited=3")
		check("ok", "--filter", "exited=0")
		// Different keys: all must match.
		check("db", "--filter", "status=exited", "--filter", "label=role")
		// The same key twice: either may match (podman).
		check("db,ok,web", "--filter", "status=exited", "--filter", "status=running")
		check("db,web", "--filter", "name=web", "--filter", "name=db")

		// Quiet and json honour the filters too.
		wantOut(t, e, e.Run("ps", "-q", "--no-trunc", "--filter", "exited=3"), dbID+"\n")
		list := psJSON(t, e, "--filter", "exited=3")
		if len(list) != 1 || list[0].ID != dbID || list[0].State != "exited" || list[0].ExitCode != 3 ||
			!strings.HasPrefix(list[0].Status, "Exited (3)") || list[0].Labels["role"] != "db" {
			t.Errorf("[%s] ps --format json --filter exited=3: %+v", e.Mode(), list)
		}
		if list := psJSON(t, e, "--filter", "label=nothing"); len(list) != 0 {
			t.Errorf("[%s] ps --format json with no match: %+v, want []", e.Mode(), list)
		}
		if out := e.Must(t, "ps", "--format", "json", "--filter", "label=nothing"); out != "[]" {
			t.Errorf("[%s] ps --format json with no match printed %q, want []", e.Mode(), out)
		}

		// A bad filter is an error.
		res = e.Run("ps", "--filter", "bogus=1")
		wantError(t, e, res, 125, false, "bogus", "filter")
	})
}
