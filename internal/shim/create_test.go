package shim

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/early"
)

// The monitor (internal/early) and this package must agree on the helper's fds
// and environment.
func TestContractMatchesMonitor(t *testing.T) {
	if ConsoleFD != early.HelperConsoleFD || StatusFD != early.HelperStatusFD {
		t.Errorf("fds: console %d status %d, monitor says %d %d", ConsoleFD, StatusFD, early.HelperConsoleFD, early.HelperStatusFD)
	}
	if EnvRestartCount != early.EnvRestartCount {
		t.Errorf("EnvRestartCount = %q, monitor says %q", EnvRestartCount, early.EnvRestartCount)
	}
	if FilePID != early.FilePID {
		t.Errorf("FilePID = %q, monitor says %q", FilePID, early.FilePID)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want int
	}{
		{`exec: "nosuch": executable file not found in $PATH`, 127},
		{`exec: "/x": stat /x: no such file or directory`, 127},
		{`exec: "/bin/true": permission denied`, 126},
		{`exec: "/tmp": is a directory`, 126},
		{`creating container: cgroup: something else`, 125},
	} {
		if got := ExitCode(errors.New(tc.msg)); got != tc.want {
			t.Errorf("ExitCode(%q) = %d, want %d", tc.msg, got, tc.want)
		}
	}
}

func TestRlimits(t *testing.T) {
	got, err := Rlimits([]specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}, {Type: "RLIMIT_NPROC", Hard: 5}})
	if err != nil || len(got) != 2 || got[0].Type != unix.RLIMIT_NOFILE || got[0].Soft != 10 || got[0].Hard != 20 ||
		got[1].Type != unix.RLIMIT_NPROC || got[1].Hard != 5 {
		t.Errorf("Rlimits = %+v, %v; want NOFILE 10/20 and NPROC 0/5", got, err)
	}
	if _, err := Rlimits([]specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}}); err == nil {
		t.Error("Rlimits(RLIMIT_BOGUS): no error")
	}
}
