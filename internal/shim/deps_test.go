package shim

import (
	"os/exec"
	"strings"
	"testing"
)

// The shim is small only while it stays away from the image and storage stack
// and the CLI: each of them adds package init to every container start.
func TestShimDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "seccomp", "./cmd/engine-shim").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"go.podman.io/", "github.com/urfave/cli", "github.com/containernetworking/",
		"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/containers/ocicrypt",
		"github.com/distribution/reference", "github.com/engine-dev/engine/engine",
		"github.com/engine-dev/engine/storage", "github.com/engine-dev/engine/internal/early",
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("engine-shim depends on %s", d)
			}
		}
	}
	if len(deps) < 20 {
		t.Fatalf("go list -deps gave %d packages; is the package path right?", len(deps))
	}
}
