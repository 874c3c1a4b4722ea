package e2e

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Container commands: top, rename, diff, container prune, ps --size, export,
// compared with podman 4.3.1.

func TestContainerCmdsTop(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		runDetached(t, e, "--name", "tp", img, "sleep", "1000")
		hostPid := inspectCtr(t, e, "tp").State.Pid
		// Execs: their parent is outside the container; the second has a child in it.
		e.Must(t, "exec", "-d", "tp", "sleep", "500")
		e.Must(t, "exec", "-d", "tp", "sh", "-c", "sleep 400; true")

		var rows [][]string
		if !eventually(10*time.Second, func() bool {
			rows = topTable(t, e, 8, "tp")
			return len(rows) == 5
		}) {
			t.Fatalf("[%s] top tp: want a header and 4 processes, got %q", e.Mode(), rows)
		}
		if h := strings.Join(rows[0], " "); h != "USER PID PPID %CPU ELAPSED TTY TIME COMMAND" {
			t.Errorf("[%s] top header %q, want podman's", e.Mode(), h)
		}
		byCmd := map[string][]string{}
		for _, r := range rows[1:] {
			byCmd[r[7]] = r
			if _, err := strconv.ParseFloat(r[3], 64); err != nil {
				t.Errorf("[%s] top: %%CPU %q of %q is not a number", e.Mode(), r[3], r)
			}
			for _, d := range []string{r[4], r[6]} {
				if _, err := time.ParseDuration(d); err != nil {
					t.Errorf("[%s] top: %q of %q is not a duration", e.Mode(), d, r)
				}
			}
		}
		// PIDs as the container sees them: pid 1 is the command, and a parent outside
		// the container's pid namespace shows as 0 (podman; the host's pid was shown).
		wantRow := func(cmd string, want func(r []string) bool, what string) {
			t.Helper()
			if r, ok := byCmd[cmd]; !ok || !want(r) {
				t.Errorf("[%s] top: row of %q is %q, want %s\n%q", e.Mode(), cmd, r, what, rows)
			}
		}
		wantRow("sleep 1000", func(r []string) bool { return r[0] == "root" && r[1] == "1" && r[2] == "0" && r[5] == "?" },
			"USER root, PID 1, PPID 0, TTY ?")
		wantRow("sleep 500", func(r []string) bool { return r[2] == "0" && r[1] != "1" }, "PPID 0")
		wantRow("sh -c sleep 400; true", func(r []string) bool { return r[2] == "0" }, "PPID 0")
		wantRow("sleep 400", func(r []string) bool { return r[2] == byCmd["sh -c sleep 400; true"][1] }, "the sh's PID as PPID")
		for _, r := range rows[1:] {
			if n, err := strconv.Atoi(r[1]); err != nil || n < 1 || n > 100 {
				t.Errorf("[%s] top: PID %q of %q is not a pid of the container's namespace", e.Mode(), r[1], r)
			}
		}

		// podman's descriptors, as separate arguments and comma-separated.
		rows = topTable(t, e, 6, "tp", "pid", "ppid,user,comm", "hpid,args")
		if h := strings.Join(rows[0], " "); h != "PID PPID USER COMMAND HPID COMMAND" {
			t.Errorf("[%s] top tp pid ppid,user,comm hpid,args: header %q", e.Mode(), h)
		}
		want := []string{"1", "0", "root", "sleep", strconv.Itoa(hostPid), "sleep 1000"}
		if len(rows) < 2 || !slices.Equal(rows[1], want) {
			t.Errorf("[%s] top tp pid ppid,user,comm hpid,args: first row %q, want %q", e.Mode(), rows, want)
		}
		hostUser := "root"
		if e.Rootless() {
			hostUser = e.User.Name // the container's root is the user
		}
		rows = topTable(t, e, 7, "tp", "pid,pgid,state,nice,tty,seccomp,huser")
		want = []string{"1", "1", "S", "0", "?", "filter", hostUser}
		if len(rows) < 2 || strings.Join(rows[0], " ") != "PID PGID STATE NI TTY SECCOMP HUSER" || !slices.Equal(rows[1], want) {
			t.Errorf("[%s] top tp pid,pgid,state,nice,tty,seccomp,huser: %q, want header PID PGID STATE NI TTY SECCOMP HUSER and %q",
				e.Mode(), rows, want)
		}
		res := e.Run("top", "tp", "capeff")
		if lines := strings.Split(strings.TrimSpace(res.Stdout), "\n"); res.Code != 0 || strings.TrimSpace(lines[0]) != "EFFECTIVE CAPS" ||
			!strings.Contains(lines[1], "CHOWN") || strings.Contains(res.Stdout, "SYS_ADMIN") {
			t.Errorf("[%s] %s: want EFFECTIVE CAPS with CHOWN and without SYS_ADMIN\n%s", e.Mode(), res.Cmd, res)
		}

		// A user of the image: named from the container's /etc/passwd; huser is the
		// host's view of the uid.
		runDetached(t, e, "--name", "tu", "-u", "1000", img, "sleep", "1000")
		rows = topTable(t, e, 4, "tu", "user,group,ruser,huser")
		want = []string{"app", "app", "app", hostName(t, inspectCtr(t, e, "tu").State.Pid)}
		if len(rows) != 2 || !slices.Equal(rows[1], want) {
			t.Errorf("[%s] top tu user,group,ruser,huser: %q, want one row %q", e.Mode(), rows, want)
		}
		// In a user namespace of its own, the ids are the container's, not this side's.
		runDetached(t, e, "--name", "tns", "--userns", "auto", "-u", "1000", img, "sleep", "1000")
		rows = topTable(t, e, 3, "tns", "user,group,huser")
		want = []string{"app", "app", hostName(t, inspectCtr(t, e, "tns").State.Pid)}
		if len(rows) != 2 || !slices.Equal(rows[1], want) || want[2] == "app" {
			t.Errorf("[%s] top tns user,group,huser (--userns auto): %q, want one row %q", e.Mode(), rows, want)
		}

		// A descriptor top does not know: ps(1) in the container, as podman, without
		// the line of that ps.
		res = e.Run("top", "tp", "-ef")
		if res.Code != 0 || !regexp.MustCompile(`(?m)^\s*1\s+root\s+.*sleep 1000\s*$`).MatchString(res.Stdout) ||
			strings.Contains(res.Stdout, "ps -ef") {
			t.Errorf("[%s] %s: want busybox ps's table with pid 1 and without the ps line\n%s", e.Mode(), res.Cmd, res)
		}
		runDetached(t, e, "--name", "nops", "-e", "PATH=/nowhere", img, "/bin/sleep", "1000")
		wantError(t, e, e.Run("top", "nops", "-ef"), 125, false, "descriptor")

		// Not running, or no such container: one line, 125.
		e.Must(t, "create", "--name", "cr", img, "true")
		wantError(t, e, e.Run("top", "cr"), 125, false, "running")
		e.Must(t, "stop", "-t", "0", "tp")
		wantError(t, e, e.Run("top", "tp"), 125, false, "running")
		wantError(t, e, e.Run("top", "tp", "pid"), 125, false, "running")
		wantError(t, e, e.Run("top", "nosuch"), 125, false, "no such container")
	})
}

// topTable runs `top NAME ARGS...` and splits each line into n columns, the last
// one keeping its spaces (the command).
func topTable(t *testing.T, e *testutil.Engine, n int, args ...string) [][]string {
	t.Helper()
	out := e.Must(t, append([]string{"top"}, args...)...)
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > n {
			f = append(f[:n-1], strings.Join(f[n-1:], " "))
		}
		rows = append(rows, f)
	}
	return rows
}

// hostName names the effective uid of host process pid as the host does.
func hostName(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "Uid:" {
			if u, err := user.LookupId(f[2]); err == nil {
				return u.Username
			}
			return f[2]
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return ""
}

func TestContainerCmdsRename(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		id := runDetached(t, e, "--name", "r1", img, "sleep", "1000")
		e.Must(t, "create", "--name", "r2", img, "echo", "hi")

		// A running container: the new name works everywhere, the old one nowhere.
		wantOut(t, e, e.Run("rename", "r1", "r1new"), "")
		wantOut(t, e, e.Run("exec", "r1new", "echo", "in"), "in\n")
		wantOut(t, e, e.Run("inspect", "--format", "{{.Name}} {{.Id}}", "r1new"), "r1new "+id+"\n")
		wantOut(t, e, e.Run("ps", "--format", "{{.Names}}"), "r1new\n")
		if l := psJSON(t, e); len(l) != 1 || !slices.Equal(l[0].Names, []string{"r1new"}) {
			t.Errorf("[%s] ps --format json after rename: %+v, want Names [r1new]", e.Mode(), l)
		}
		for _, args := range [][]string{{"inspect", "r1"}, {"exec", "r1", "true"}, {"stop", "r1"}} {
			wantError(t, e, e.Run(args...), 125, false, "no such container", "no such object")
		}
		// The old name is free again.
		e.Must(t, "create", "--name", "r1", img, "true")
		e.Must(t, "rm", "r1")

		// A stopped container, then started under its new name.
		wantOut(t, e, e.Run("rename", r2ID(t, e), "r2new"), "")
		e.Must(t, "start", "r2new")
		wantOut(t, e, e.Run("wait", "r2new"), "0\n")
		wantOut(t, e, e.Run("logs", "r2new"), "hi\n")
		// Its own name: nothing to do, as podman.
		wantOut(t, e, e.Run("rename", "r2new", "r2new"), "")

		// A name in use, bad names, no such container: 125, nothing changed.
		wantError(t, e, e.Run("rename", "r1new", "r2new"), 125, false, "already in use")
		for _, bad := range []string{"bad name", "", "/slash", "-dash", "a:b"} {
			wantError(t, e, e.Run("rename", "r1new", "--", bad), 125, false, "invalid", "name")
		}
		wantError(t, e, e.Run("rename", "nosuch", "x"), 125, false, "no such container")
		wantError(t, e, e.Run("rename", "r1new"), 125, false, "requires")
		if got := psNames(t, e, "-a"); strings.Join(got, ",") != "r1new,r2new" {
			t.Errorf("[%s] names after failed renames: %q, want [r1new r2new]", e.Mode(), got)
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{.Name}}", id), "r1new\n")

		// Racing renames to one name, and a rename racing a create: exactly one wins,
		// and every record keeps a name of its own.
		for i := 0; i < 5; i++ {
			a, b := fmt.Sprintf("ra%d", i), fmt.Sprintf("rb%d", i)
			e.Must(t, "create", "--name", a, img, "true")
			e.Must(t, "create", "--name", b, img, "true")
			target := fmt.Sprintf("won%d", i)
			results := parallelRuns(e, []string{"rename", a, target}, []string{"rename", b, target})
			wantOneWinner(t, e, results, "already in use")
			results = parallelRuns(e, []string{"rename", "r1new", "raced" + strconv.Itoa(i)},
				[]string{"create", "--name", "raced" + strconv.Itoa(i), img, "true"})
			wantOneWinner(t, e, results, "already in use")
			if results[0].Code == 0 {
				e.Must(t, "rename", "raced"+strconv.Itoa(i), "r1new")
			}
		}
		wantUniqueNames(t, e)
	})
}

// r2ID returns the id of container r2 (renaming by id works as by name).
func r2ID(t *testing.T, e *testutil.Engine) string {
	t.Helper()
	return e.Must(t, "inspect", "--format", "{{.Id}}", "r2")
}

// parallelRuns runs each command line at the same time.
func parallelRuns(e *testutil.Engine, cmds ...[]string) []testutil.Result {
	out := make([]testutil.Result, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = e.Run(c...)
		}()
	}
	wg.Wait()
	return out
}

// wantOneWinner checks that exactly one of results succeeded and the other failed
// with 125 and an error containing want.
func wantOneWinner(t *testing.T, e *testutil.Engine, results []testutil.Result, want string) {
	t.Helper()
	ok := 0
	for _, r := range results {
		if r.Code == 0 {
			ok++
		} else {
			wantError(t, e, r, 125, false, want)
		}
	}
	if ok != 1 {
		t.Errorf("[%s] %d of %q succeeded, want exactly 1", e.Mode(), ok, results)
	}
}

// wantUniqueNames checks that no two containers show the same name and that each
// record's name (inspect by id) is what ps shows.
func wantUniqueNames(t *testing.T, e *testutil.Engine) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range psJSON(t, e, "-a") {
		if len(c.Names) != 1 {
			t.Errorf("[%s] container %s has names %q, want one", e.Mode(), c.ID, c.Names)
			continue
		}
		if other, dup := seen[c.Names[0]]; dup {
			t.Errorf("[%s] containers %s and %s both named %q", e.Mode(), other, c.ID, c.Names[0])
		}
		seen[c.Names[0]] = c.ID
		wantOut(t, e, e.Run("inspect", "--format", "{{.Name}}", c.ID), c.Names[0]+"\n")
	}
}

func TestContainerCmdsDiff(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "--name", "df", img, "sh", "-c",
			"mkdir -p /new/sub && echo x > /new/sub/f && echo more >> /etc/passwd && rm /etc/group && rm -r /home/app && touch /tmp/t")
		// podman's lines, sorted by path; the mount points the engine makes for
		// /etc/hosts, /etc/resolv.conf, /run/... are not the container's changes.
		wantOut(t, e, e.Run("diff", "df"), "C /etc\nD /etc/group\nC /etc/passwd\nC /home\nD /home/app\n"+
			"A /new\nA /new/sub\nA /new/sub/f\nC /tmp\nA /tmp/t\n")
		wantOut(t, e, e.Run("container", "diff", "df"), "C /etc\nD /etc/group\nC /etc/passwd\nC /home\nD /home/app\n"+
			"A /new\nA /new/sub\nA /new/sub/f\nC /tmp\nA /tmp/t\n")

		// --format json: podman's shape, paths by kind.
		res := e.Run("diff", "--format", "json", "df")
		var got map[string][]string
		if err := json.Unmarshal([]byte(res.Stdout), &got); res.Code != 0 || err != nil {
			t.Fatalf("[%s] %s: %v\n%s", e.Mode(), res.Cmd, err, res)
		}
		want := map[string][]string{
			"changed": {"/etc", "/etc/passwd", "/home", "/tmp"},
			"added":   {"/new", "/new/sub", "/new/sub/f", "/tmp/t"},
			"deleted": {"/etc/group", "/home/app"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("[%s] %s: %v, want %v", e.Mode(), res.Cmd, got, want)
		}
		wantError(t, e, e.Run("diff", "--format", "{{.Path}}", "df"), 125, false, "json")

		// A container that changed nothing shows only /etc, where the mount points of
		// /etc/hosts and /etc/resolv.conf are (as podman); json leaves out empty kinds.
		e.Must(t, "run", "--name", "clean", img, "true")
		wantOut(t, e, e.Run("diff", "clean"), "C /etc\n")
		if out := e.Must(t, "diff", "--format", "json", "clean"); strings.Contains(out, "added") || strings.Contains(out, "deleted") {
			t.Errorf("[%s] diff --format json clean: %s, want only \"changed\"", e.Mode(), out)
		}

		// A running container's changes.
		runDetached(t, e, "--name", "live", img, "sh", "-c", "touch /running; rm /bin/wget; exec sleep 1000")
		if !eventually(10*time.Second, func() bool { return e.Run("exec", "live", "test", "-e", "/running").Code == 0 }) {
			t.Fatalf("[%s] /running never appeared in live", e.Mode())
		}
		wantOut(t, e, e.Run("diff", "live"), "C /bin\nD /bin/wget\nC /etc\nA /running\n")

		wantError(t, e, e.Run("diff", "nosuch"), 125, false, "no such container")
		wantError(t, e, e.Run("diff"), 125, false, "container")
	})
}

func TestContainerCmdsPrune(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "--name", "ex1", img, "true")
		e.Must(t, "create", "--name", "cr1", "--label", "k=v", img, "true")
		if res := e.Run("run", "--name", "ex2", "--label", "k=w", img, "sh", "-c", "exit 3"); res.Code != 3 {
			t.Fatalf("[%s] %s: want exit code 3\n%s", e.Mode(), res.Cmd, res)
		}
		up := runDetached(t, e, "--name", "up", "--label", "k=v", img, "sleep", "1000")
		idOf := func(name string) string { return e.Must(t, "inspect", "--format", "{{.Id}}", name) }
		ex1, cr1, ex2 := idOf("ex1"), idOf("cr1"), idOf("ex2")
		all := "cr1,ex1,ex2,up"
		wantNames := func(want, after string) {
			t.Helper()
			if got := strings.Join(psNames(t, e, "-a"), ","); got != want {
				t.Errorf("[%s] after %s: containers %s, want %s", e.Mode(), after, got, want)
			}
		}

		// Without -f prune asks (podman's question on stdout): no answer or "n"
		// removes nothing.
		res := e.RunStdin(strings.NewReader(""), "container", "prune")
		if res.Code != 125 || !strings.Contains(res.Stdout, "Are you sure you want to continue? [y/N]") {
			t.Errorf("[%s] %s with stdin closed: want the question and exit 125\n%s", e.Mode(), res.Cmd, res)
		}
		wantNames(all, "prune with stdin closed")
		res = e.RunStdin(strings.NewReader("n\n"), "container", "prune")
		if res.Code != 0 || !strings.HasSuffix(res.Stdout, "[y/N] ") {
			t.Errorf("[%s] %s answered n: want the question only and exit 0\n%s", e.Mode(), res.Cmd, res)
		}
		wantNames(all, "prune answered n")

		// Filters: label, label!, until; an unknown key fails and removes nothing.
		wantError(t, e, e.Run("container", "prune", "-f", "--filter", "bogus=1"), 125, false, "bogus")
		wantError(t, e, e.Run("container", "prune", "-f", "--filter", "until=notatime"), 125, false, "until")
		wantNames(all, "prune with a bad filter")
		wantOut(t, e, e.Run("container", "prune", "-f", "--filter", "label=k=v"), cr1+"\n")
		wantNames("ex1,ex2,up", "prune --filter label=k=v")
		hourAgo := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		wantOut(t, e, e.Run("container", "prune", "-f", "--filter", "until="+hourAgo), "")
		wantNames("ex1,ex2,up", "prune --filter until=an hour ago")
		inAnHour := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		wantOut(t, e, e.Run("container", "prune", "-f", "--filter", "label!=k=w", "--filter", "until="+inAnHour), ex1+"\n")
		wantNames("ex2,up", "prune --filter label!=k=w")

		// "y" prunes; the running container stays, running.
		res = e.RunStdin(strings.NewReader("y\n"), "container", "prune")
		if res.Code != 0 || !strings.HasSuffix(res.Stdout, "[y/N] "+ex2+"\n") {
			t.Errorf("[%s] %s answered y: want the question then %s\n%s", e.Mode(), res.Cmd, ex2, res)
		}
		wantNames("up", "prune answered y")
		wantOut(t, e, e.Run("inspect", "--format", "{{.State.Status}} {{.Id}}", "up"), "running "+up+"\n")
		wantOut(t, e, e.Run("container", "prune", "-f"), "")
		wantNames("up", "prune -f with nothing to prune")
		wantError(t, e, e.Run("container", "prune", "-f", "up"), 125, false, "argument")
	})
}

// psSize is `ps --format json --size`'s Size.
type psSize struct {
	Names []string `json:"Names"`
	Size  *struct {
		RootFsSize int64 `json:"rootFsSize"`
		RwSize     int64 `json:"rwSize"`
	} `json:"Size"`
}

func TestContainerCmdsSize(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		const extra = 512 << 10
		img2 := pull(t, e, busybox(t, testutil.ImageOptions{ExtraLayers: 2, ExtraLayerBytes: extra, Seed: 77}))
		e.Must(t, "run", "--name", "big", img, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=1")
		runDetached(t, e, "--name", "up", img, "sleep", "1000")
		e.Must(t, "run", "--name", "layered", img2, "true")

		// The table: a SIZE column, podman's format (no space before the unit).
		sizeRe := regexp.MustCompile(`  1\.05MB \(virtual [0-9.]+[kMG]?B\)$`)
		for _, flag := range []string{"--size", "-s"} {
			lines := strings.Split(e.Must(t, "ps", "-a", flag), "\n")
			if len(lines) != 4 || !strings.HasSuffix(lines[0], "  SIZE") {
				t.Errorf("[%s] ps -a %s: want a header ending in SIZE and 3 rows:\n%s", e.Mode(), flag, strings.Join(lines, "\n"))
				continue
			}
			var bigRow string
			for _, l := range lines {
				if strings.Contains(l, " big ") {
					bigRow = l
				}
			}
			if !sizeRe.MatchString(bigRow) {
				t.Errorf("[%s] ps -a %s: row of big %q, want it to end in \"1.05MB (virtual ...)\"", e.Mode(), flag, bigRow)
			}
		}
		wantOut(t, e, e.Run("ps", "--size", "--format", "{{.Names}} {{.Size}}", "--filter", "name=^up$"),
			"up 0B (virtual "+virtualOf(t, e, "up")+")\n")

		sizes := map[string]psSize{}
		var list []psSize
		if err := json.Unmarshal([]byte(e.Must(t, "ps", "-a", "--size", "--format", "json")), &list); err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.Size == nil {
				t.Fatalf("[%s] ps -a --size --format json: no Size for %v", e.Mode(), c.Names)
			}
			sizes[c.Names[0]] = c
		}
		// rwSize is the container's layer; rootFsSize (virtual) the image's layers, all
		// of them, without the container's (podman's rootFsSize).
		if rw := sizes["big"].Size.RwSize; rw < 1<<20 || rw > 1<<20+4096 {
			t.Errorf("[%s] big: rwSize %d, want 1 MiB written by dd", e.Mode(), rw)
		}
		if big, up := sizes["big"].Size.RootFsSize, sizes["up"].Size.RootFsSize; big != up || up < 1<<20 {
			t.Errorf("[%s] rootFsSize of big %d and of up %d: want the same, the image's size", e.Mode(), big, up)
		}
		if d := sizes["layered"].Size.RootFsSize - sizes["up"].Size.RootFsSize; d < 2*extra || d > 2*extra+64<<10 {
			t.Errorf("[%s] rootFsSize of a container of an image with two more %d-byte layers is %d bytes more, want about %d",
				e.Mode(), extra, d, 2*extra)
		}
		wantError(t, e, e.Run("ps", "-a", "-s", "-q"), 125, false, "conflicts")
		if out := e.Must(t, "ps", "-a", "--format", "json"); strings.Contains(out, "rootFsSize") {
			t.Errorf("[%s] ps --format json without --size shows sizes", e.Mode())
		}
	})
}

// virtualOf is the virtual size ps --size shows for a container.
func virtualOf(t *testing.T, e *testutil.Engine, name string) string {
	t.Helper()
	var list []psSize
	if err := json.Unmarshal([]byte(e.Must(t, "ps", "-a", "--size", "--format", "json", "--filter", "name=^"+name+"$")), &list); err != nil || len(list) != 1 {
		t.Fatalf("[%s] ps --size of %s: %v %v", e.Mode(), name, list, err)
	}
	n := float64(list[0].Size.RootFsSize)
	units := []string{"B", "kB", "MB", "GB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return strconv.FormatFloat(n, 'g', 3, 64) + units[i]
}

func TestContainerCmdsExport(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "--name", "exp", img, "sh", "-c", "echo hello > /exported.txt && mkdir /d && echo deep > /d/f && rm /etc/group")

		// To stdout.
		res := e.Run("export", "exp")
		if res.Code != 0 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		files := tarFiles(t, strings.NewReader(res.Stdout))
		wantTar(t, e, res.Cmd, files, map[string]string{"exported.txt": "hello\n", "d/f": "deep\n"}, "etc/group")

		// To a file with -o, owned by the user who ran export.
		e.Must(t, "export", "-o", "out.tar", "exp")
		path := filepath.Join(e.Home, "out.tar")
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("[%s] export -o out.tar: %v", e.Mode(), err)
		}
		wantTar(t, e, "export -o", tarFiles(t, f), map[string]string{"exported.txt": "hello\n", "d/f": "deep\n"}, "etc/group")
		f.Close()
		if e.Rootless() {
			if fi, err := os.Stat(path); err != nil || fi.Sys().(*syscall.Stat_t).Uid != e.User.UID {
				t.Errorf("[%s] export -o: %s not owned by the user (%v)", e.Mode(), path, err)
			}
		}
		wantOut(t, e, e.Run("container", "export", "--output", "out2.tar", "exp"), "")
		if fi, err := os.Stat(filepath.Join(e.Home, "out2.tar")); err != nil || fi.Size() < 1<<20 {
			t.Errorf("[%s] container export --output: %v", e.Mode(), err)
		}

		// A running container's files.
		runDetached(t, e, "--name", "live", img, "sh", "-c", "echo live > /live.txt; exec sleep 1000")
		if !eventually(10*time.Second, func() bool { return e.Run("exec", "live", "test", "-s", "/live.txt").Code == 0 }) {
			t.Fatalf("[%s] /live.txt never appeared in live", e.Mode())
		}
		res = e.Run("export", "live")
		wantTar(t, e, res.Cmd, tarFiles(t, strings.NewReader(res.Stdout)), map[string]string{"live.txt": "live\n", "etc/group": "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n"}, "")

		// Errors: one line, 125, no file left.
		wantError(t, e, e.Run("export", "-o", "/nonexistent/dir/x.tar", "exp"), 125, false, "nonexistent")
		wantError(t, e, e.Run("export", "nosuch"), 125, false, "no such container")
		wantError(t, e, e.Run("export", "-o", "gone.tar", "nosuch"), 125, false, "no such container")
		if ents, _ := filepath.Glob(filepath.Join(e.Home, "gone.tar*")); len(ents) > 0 {
			t.Errorf("[%s] a failed export left %q", e.Mode(), ents)
		}
	})
}

// tarFiles reads a tar stream into name -> content (regular files), names without
// a leading "./" or "/"; it fails the test on a bad stream.
func tarFiles(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading the tar: %v", err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = string(b)
		} else {
			out[name] = ""
		}
	}
}

// wantTar checks that files holds want (and bin/busybox), and not gone.
func wantTar(t *testing.T, e *testutil.Engine, what string, files, want map[string]string, gone string) {
	t.Helper()
	for name, data := range want {
		if got, ok := files[name]; !ok || got != data {
			t.Errorf("[%s] %s: %s is %q (present %v), want %q", e.Mode(), what, name, got, ok, data)
		}
	}
	if len(files["bin/busybox"]) < 1<<20 {
		t.Errorf("[%s] %s: no bin/busybox in the tar (%d entries)", e.Mode(), what, len(files))
	}
	if _, ok := files[gone]; gone != "" && ok {
		t.Errorf("[%s] %s: %s was deleted in the container but is in the tar", e.Mode(), what, gone)
	}
}
