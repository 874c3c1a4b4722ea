package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestStoresNeverMix: root's store and the rootless user's default store are
// separate, and the rootless default is under $XDG_DATA_HOME (graph root) and
// $XDG_RUNTIME_DIR (run root), as for podman.
func TestStoresNeverMix(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	rootEngine := testutil.NewEngine(t, nil)
	userEngine := testutil.NewEngine(t, testutil.User(t))

	rootImg := busybox(t, testutil.ImageOptions{Labels: map[string]string{"store": "root"}})
	userImg := busybox(t, testutil.ImageOptions{Labels: map[string]string{"store": "user"}})
	pull(t, rootEngine, rootImg)

	res := userEngine.RunRaw("pull", userImg.Ref)
	if res.Code != 0 {
		t.Fatalf("rootless pull into the default store: %s", res)
	}
	res = userEngine.RunRaw("images", "-a", "-q", "--no-trunc")
	if got := strings.TrimSpace(res.Stdout); res.Code != 0 || got != "sha256:"+userImg.ID {
		t.Errorf("rootless default store lists %q (exit %d), want only its own image %s", got, res.Code, userImg.ID)
	}
	if got := ids(t, rootEngine); !reflect.DeepEqual(got, []string{rootImg.ID}) {
		t.Errorf("root store lists %q, want only root's image %s", got, rootImg.ID)
	}

	graphRoot := filepath.Join(userEngine.Home, ".local", "share", "containers", "storage")
	// DRIVER-images/ID, whichever driver the defaults chose (podman 4.3 picks vfs here).
	if m, _ := filepath.Glob(filepath.Join(graphRoot, "*-images", userImg.ID)); len(m) == 0 {
		t.Errorf("rootless default graph root is not $XDG_DATA_HOME/containers/storage: no %s/*-images/%s",
			graphRoot, userImg.ID)
	}
	if st, err := os.Stat(filepath.Join(userEngine.RuntimeDir, "containers")); err != nil || !st.IsDir() {
		t.Errorf("rootless default run root $XDG_RUNTIME_DIR/containers missing: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join("/var/lib/containers/storage/*-images", userImg.ID)); len(m) > 0 {
		t.Errorf("the rootless user's image landed in root's default store /var/lib/containers/storage")
	}
	// The user's store belongs to the user (root in its user namespace), not to root.
	if st, err := os.Stat(graphRoot); err == nil {
		if uid := st.Sys().(*syscall.Stat_t).Uid; uid != userEngine.User.UID {
			t.Errorf("%s is owned by uid %d, want the user's %d", graphRoot, uid, userEngine.User.UID)
		}
	}
}
