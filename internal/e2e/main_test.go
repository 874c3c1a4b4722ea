// Package e2e runs the engine binary as root and as an ordinary user against real
// stores, a real registry and image archives, and checks its output, exit codes and
// what it leaves on disk against podman's behaviour. The tests need root (they skip
// otherwise); set ENGINE_BINARY to test a prebuilt binary.
package e2e

import (
	"os"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }
