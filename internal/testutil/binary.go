package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// BuildTags are the tags the engine is built with (see DESIGN.md section 8).
const BuildTags = "exclude_graphdriver_btrfs containers_image_openpgp containers_image_docker_daemon_stub seccomp libsqlite3"

// modulePath is the engine's module, used to find the repository root.
const modulePath = "github.com/engine-dev/engine"

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Binary returns the path of the engine binary under test: $ENGINE_BINARY when set
// (the Makefile sets it to bin/engine), otherwise a binary built once per test
// process with BuildTags into a world-readable temporary directory, so that the
// rootless test user can run it too. Call RunMain from TestMain to remove it.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ENGINE_BINARY"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("ENGINE_BINARY=%q: %v", p, err)
		}
		if st, err := os.Stat(abs); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			t.Fatalf("ENGINE_BINARY=%q is not an executable file (stat: %v)", p, err)
		}
		return abs
	}
	build.once.Do(func() {
		build.bin, build.dir, build.err = buildBinary()
	})
	if build.err != nil {
		t.Fatalf("building engine: %v", build.err)
	}
	return build.bin
}

// RunMain runs the tests and removes the binary Binary built, if any:
//
//	func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }
func RunMain(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	return code
}

func buildBinary() (bin, dir string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "engine-bin-")
	if err != nil {
		return "", "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", dir, err
	}
	bin = filepath.Join(dir, "engine")
	cmd := exec.Command("go", "build", "-tags", BuildTags, "-o", bin, ".")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", dir, fmt.Errorf("go build -tags %q in %s: %v\n%s", BuildTags, root, err, out.String())
	}
	return bin, dir, os.Chmod(bin, 0o755)
}

// ModuleRoot finds the engine repository's root: the nearest parent of the working
// directory (a package directory under go test) whose go.mod declares the module.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(data)), "module "+modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for %s above the working directory", modulePath)
		}
		dir = parent
	}
}
