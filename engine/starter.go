package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fileStarter names the process that is starting the container: Start writes it
// before the monitor exists and Exec removes it once the container's process runs.
// If that process dies in between (kill -9 of `engine run`), the container's init
// waits on libcontainer's exec fifo for ever; the next command that reads the
// container's state with the store open kills that init, and the monitor then
// records the exit (137) and cleans up as for any other exit.
const fileStarter = "starter"

// writeStarter records this process as the container's starter.
func writeStarter(run string) error {
	self := os.Getpid()
	return writeFileAtomic(filepath.Join(run, fileStarter), fmt.Appendf(nil, "%d %d\n", self, procStartTicks(self)), 0o600)
}

// startDone drops the starter record: the container's process runs.
func startDone(run string) { _ = os.Remove(filepath.Join(run, fileStarter)) }

// reapAbandonedStart kills the init of a container whose starter died before it let
// the process run (the exec fifo is still there).
func (c *Container) reapAbandonedStart(run string, st State) {
	b, err := os.ReadFile(filepath.Join(run, fileStarter))
	if err != nil {
		return
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return
	}
	pid, _ := strconv.Atoi(f[0])
	ticks, _ := strconv.ParseUint(f[1], 10, 64)
	if pid > 0 && alive(pid) && procStartTicks(pid) == ticks {
		return // still starting
	}
	if fileExists(filepath.Join(run, "lc", c.ID, "exec.fifo")) && st.Pid > 0 {
		_ = os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600) // no restart
		_ = syscall.Kill(st.Pid, syscall.SIGKILL)
	}
	startDone(run)
}

// procStartTicks is a process's start time in clock ticks since boot (field 22 of
// /proc/PID/stat), which tells a pid's reuse apart; 0 when unknown.
func procStartTicks(pid int) uint64 {
	f, _, ok := procStat(pid)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

// procStat reads /proc/PID/stat: the fields after the command (f[0] is the state,
// field 3; f[19] the start time, field 22) and the command itself.
func procStat(pid int) (f []string, comm string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, "", false
	}
	s := string(b)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp {
		return nil, "", false
	}
	f = strings.Fields(s[rp+1:])
	return f, s[lp+1 : rp], len(f) >= 20
}

// stallBeforeExec is a test hook: _ENGINE_TEST_STALL_START=SECONDS makes Start wait
// between the monitor's report and letting the process run, so that tests can kill
// the CLI in that window.
func stallBeforeExec() {
	if s := os.Getenv("_ENGINE_TEST_STALL_START"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			time.Sleep(time.Duration(n) * time.Second)
		}
	}
}
