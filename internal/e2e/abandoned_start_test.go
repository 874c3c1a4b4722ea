package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestContainerStartCLIKilled: `run -d` killed after the container was created but
// before its process was let run (a test hook stalls it there). The container's init
// would wait for ever; the next command that looks at the container ends it (137)
// and the monitor cleans up as after any exit; a --rm container goes away.
func TestContainerStartCLIKilled(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, tc := range []struct {
			name string
			rm   bool
		}{{"stalled", false}, {"stalledrm", true}} {
			args := []string{"run", "-d", "--name", tc.name}
			if tc.rm {
				args = append(args, "--rm")
			}
			cmd := command(ctx, e, append(args, img, "sh", "-c", "echo ran; sleep 60")...)
			cmd.Env = append(append([]string{}, e.Env...), "_ENGINE_TEST_STALL_START=30")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if !eventually(20*time.Second, func() bool {
				return e.Run("inspect", "--format", "{{.State.Pid}}", tc.name).Stdout > "0\n"
			}) {
				t.Fatalf("[%s] %s: the container never got its init", e.Mode(), tc.name)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if tc.rm {
				if !eventually(15*time.Second, func() bool { return e.Run("inspect", tc.name).Code != 0 }) {
					t.Errorf("[%s] the --rm container whose start was abandoned is still there: %s", e.Mode(), e.Run("ps", "-a"))
				}
				continue
			}
			if !eventually(15*time.Second, func() bool {
				return inspectCtr(t, e, tc.name).State.Status == "exited"
			}) {
				t.Fatalf("[%s] the container whose start was abandoned is %q, want exited", e.Mode(), inspectCtr(t, e, tc.name).State.Status)
			}
			if got := inspectCtr(t, e, tc.name); got.State.ExitCode != 137 {
				t.Errorf("[%s] abandoned start: exit code %d, want 137", e.Mode(), got.State.ExitCode)
			}
			if out := e.Must(t, "logs", tc.name); out != "" {
				t.Errorf("[%s] the abandoned container's process ran: logs %q", e.Mode(), out)
			}
			e.Must(t, "rm", tc.name)
		}
	})
}
