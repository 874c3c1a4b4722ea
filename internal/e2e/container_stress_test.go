package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Concurrency and crash recovery.

func TestContainerConcurrentRun(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		const n = 20
		results := make([]testutil.Result, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = e.Run("run", "--rm", img, "sh", "-c", fmt.Sprintf("echo %d", i))
			}(i)
		}
		wg.Wait()
		for i, res := range results {
			if want := fmt.Sprintf("%d\n", i); res.Code != 0 || res.Stdout != want {
				t.Errorf("[%s] parallel run %d: want exit 0 and stdout %q\ngot %s", e.Mode(), i, want, res)
			}
		}
		noContainers(t, e, "20 parallel run --rm")
	})
}

func TestContainerConcurrentName(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		for round := 0; round < 3; round++ {
			name := fmt.Sprintf("x%d", round)
			var results [2]testutil.Result
			var wg sync.WaitGroup
			for i := range results {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					results[i] = e.Run("run", "--name", name, "-d", img, "sleep", "1000")
				}(i)
			}
			wg.Wait()
			ok, failed := results[0], results[1]
			if ok.Code != 0 {
				ok, failed = failed, ok
			}
			if ok.Code != 0 || !hex64.MatchString(strings.TrimSpace(ok.Stdout)) {
				t.Errorf("[%s] round %d: want one run to succeed\nfirst: %s\nsecond: %s", e.Mode(), round, results[0], results[1])
				continue
			}
			wantError(t, e, failed, 125, false, "already in use")
			list := psJSON(t, e, "-a", "--filter", "name=^"+name+"$")
			if len(list) != 1 || list[0].ID != strings.TrimSpace(ok.Stdout) || list[0].State != "running" {
				t.Errorf("[%s] round %d: ps shows %+v, want only the winner, running", e.Mode(), round, list)
			}
		}
		if got := len(sortedLines(e.Must(t, "ps", "-a", "-q"))); got != 3 {
			t.Errorf("[%s] %d containers after three rounds, want 3", e.Mode(), got)
		}
	})
}

func TestContainerMonitorKilled(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		e.Must(t, "run", "-d", "--name", "orphan", img, "sleep", "1000")
		got := inspectCtr(t, e, "orphan")
		mon, pid := got.State.ConmonPid, got.State.Pid
		if mon <= 0 || pid <= 0 {
			t.Fatalf("[%s] inspect: ConmonPid %d Pid %d, want both > 0", e.Mode(), mon, pid)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", mon))
		if strings.TrimSpace(string(comm)) != monitorComm {
			t.Fatalf("[%s] ConmonPid %d is %q, not %s", e.Mode(), mon, comm, monitorComm)
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{.State.ConmonPid}}", "orphan"), fmt.Sprintf("%d\n", mon))

		if err := syscall.Kill(mon, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if !waitGone(mon, 5*time.Second) {
			t.Fatalf("[%s] monitor %d survived SIGKILL", e.Mode(), mon)
		}

		var list []psEntry
		if !eventually(5*time.Second, func() bool {
			list = psJSON(t, e, "-a")
			return len(list) == 1 && list[0].State == "exited"
		}) {
			t.Errorf("[%s] ps -a after the monitor was killed: %+v, want the container exited", e.Mode(), list)
		}
		if got := psNames(t, e); len(got) != 0 {
			t.Errorf("[%s] ps after the monitor was killed: %q, want nothing running", e.Mode(), got)
		}
		if got := inspectCtr(t, e, "orphan"); got.State.Running || got.State.Status != "exited" {
			t.Errorf("[%s] inspect after the monitor was killed: Status %q Running %v", e.Mode(), got.State.Status, got.State.Running)
		}

		e.Must(t, "rm", "orphan")
		noContainers(t, e, "rm of the orphan")
		if !waitGone(pid, 3*time.Second) {
			t.Errorf("[%s] the container's process %d is still alive after rm: %v", e.Mode(), pid, describePids([]int{pid}))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if m := storeMounts(t, e); len(m) > 0 {
			t.Errorf("[%s] mounts left after rm of the orphan:\n  %s", e.Mode(), strings.Join(m, "\n  "))
		}

		// The store keeps working: the name is free again.
		e.Must(t, "run", "--rm", "--name", "orphan", img, "true")
	})
}

func TestContainerRunCLIKilled(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := command(ctx, e, "run", "--name", "fg", img, "sh", "-c", "echo started; sleep 3; echo finished; exit 5")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill the CLI once the container has printed something (read from the log:
		// TestContainerRunOutput checks what run itself prints).
		waitLog(t, e, "fg", "started", 20*time.Second)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		if got := inspectCtr(t, e, "fg"); !got.State.Running {
			t.Errorf("[%s] after the run CLI was killed: Status %q, want still running", e.Mode(), got.State.Status)
		}
		start := time.Now()
		wantOut(t, e, e.Run("wait", "fg"), "5\n")
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("[%s] wait took %v", e.Mode(), d)
		}
		if got := inspectCtr(t, e, "fg"); got.State.Status != "exited" || got.State.ExitCode != 5 {
			t.Errorf("[%s] inspect: Status %q ExitCode %d, want exited 5", e.Mode(), got.State.Status, got.State.ExitCode)
		}
		wantOut(t, e, e.Run("logs", "fg"), "started\nfinished\n")

		// The same with --rm: the container still ends and is removed.
		cmd = command(ctx, e, "run", "--rm", "--name", "fgrm", img, "sh", "-c", "echo started; sleep 2")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitLog(t, e, "fgrm", "started", 20*time.Second)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if !eventually(10*time.Second, func() bool {
			return e.Run("inspect", "fgrm").Code != 0
		}) {
			t.Errorf("[%s] the --rm container whose run CLI was killed was not removed when it exited: %s",
				e.Mode(), e.Run("ps", "-a"))
		}
	})
}
