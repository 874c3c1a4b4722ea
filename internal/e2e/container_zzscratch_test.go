package e2e

import (
	"os"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

func TestContainerZZScratchLayout(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	if _, err := testutil.WriteBusyboxImage("/tmp/scratch/bb", testutil.ImageOptions{}); err != nil {
		t.Fatal(err)
	}
}
