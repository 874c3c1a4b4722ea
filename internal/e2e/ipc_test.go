package e2e

import (
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestIPCShareableShm: a container that joins another's IPC namespace sees the
// same /dev/shm (POSIX shared memory), as with podman; --ipc private keeps it
// to itself; nothing stays mounted afterwards (ctrSetup's leak check).
func TestIPCShareableShm(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		runDetached(t, e, "--name", "donor", "--shm-size", "8m", img, "sh", "-c", "echo shared > /dev/shm/f; sleep 60")
		for i := 0; e.Run("exec", "donor", "test", "-f", "/dev/shm/f").Code != 0; i++ {
			if i == 100 {
				t.Fatalf("[%s] donor never wrote /dev/shm/f", e.Mode())
			}
			time.Sleep(50 * time.Millisecond)
		}
		wantOut(t, e, e.Run("run", "--rm", "--ipc", "container:donor", img, "sh", "-c",
			"cat /dev/shm/f; echo back > /dev/shm/g"), "shared\n")
		wantOut(t, e, e.Run("exec", "donor", "cat", "/dev/shm/g"), "back\n")
		wantOut(t, e, e.Run("exec", "donor", "sh", "-c", "df -k /dev/shm | tail -1 | awk '{print $2}'"), "8192\n")

		runDetached(t, e, "--name", "priv", "--ipc", "private", img, "sleep", "60")
		wantError(t, e, e.Run("run", "--rm", "--ipc", "container:priv", img, "true"), 125, false, "private IPC namespace")
		var h struct{ IpcMode string }
		inspectHost(t, e, "priv", &h)
		if h.IpcMode != "private" {
			t.Errorf("[%s] inspect IpcMode %q, want private", e.Mode(), h.IpcMode)
		}
		e.Must(t, "rm", "-f", "donor", "priv")
	})
}
