// Package depcheck pins the dependency direction of DESIGN.md:
// internal/cli -> builder -> engine -> (storage, netcni) -> internal/...
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/engine-dev/engine/"

// forbidden lists, for each package prefix, the project packages it must never reach.
var forbidden = map[string][]string{
	"storage":         {"engine", "netcni", "builder", "internal/cli"},
	"netcni":          {"engine", "storage", "builder", "internal/cli"},
	"engine":          {"builder", "internal/cli"},
	"builder":         {"internal/cli"},
	"internal/format": {"engine", "storage", "netcni", "builder", "internal/cli"},
}

func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		for prefix, bad := range forbidden {
			if pkg != prefix && !strings.HasPrefix(pkg, prefix+"/") {
				continue
			}
			checked++
			for _, dep := range fields[1:] {
				for _, b := range bad {
					if dep == mod+b || strings.HasPrefix(dep, mod+b+"/") {
						t.Errorf("%s imports %s (directly or not); DESIGN.md forbids %s -> %s", pkg, dep, prefix, b)
					}
				}
			}
		}
	}
	if checked < 4 {
		t.Fatalf("checked only %d packages; is the module path %q right?", checked, mod)
	}
}
