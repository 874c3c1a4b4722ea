package e2e

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Container commands as CI scripts and systemd units use them, compared with
// podman 4.3.1 (differential audit).

// A missing container is podman's one line, which scripts match on, for every
// command that looks a container up.
func TestAuditCtrNoSuchContainer(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		ctrSetup(t, e)
		const msg = `Error: no container with name or ID "nosuch" found: no such container`
		for _, args := range [][]string{
			{"stop", "nosuch"}, {"start", "nosuch"}, {"logs", "nosuch"}, {"exec", "nosuch", "true"},
			{"inspect", "--type", "container", "nosuch"}, {"wait", "nosuch"}, {"port", "nosuch"},
		} {
			res := e.Run(args...)
			wantError(t, e, res, 125, false, "no such container")
			if got := strings.TrimSpace(res.Stderr); got != msg {
				t.Errorf("[%s] %s: stderr %q, want %q", e.Mode(), res.Cmd, got, msg)
			}
		}
		res := e.Run("rm", "nosuch")
		if got := strings.TrimSpace(res.Stderr); res.Code != 1 || got != msg {
			t.Errorf("[%s] %s: exit %d, stderr %q; want 1 and %q", e.Mode(), res.Cmd, res.Code, got, msg)
		}
	})
}

// `container exists` answers with its exit code alone: 0, 1, or 125 for bad use.
func TestAuditCtrExists(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		id := strings.TrimSpace(e.Must(t, "create", "--name", "there", img, "true"))
		for _, name := range []string{"there", id, id[:12]} {
			wantOut(t, e, e.Run("container", "exists", name), "")
		}
		res := e.Run("container", "exists", "nosuch")
		if res.Code != 1 || res.Stdout != "" || res.Stderr != "" {
			t.Errorf("[%s] %s: want exit 1 and no output\n%s", e.Mode(), res.Cmd, res)
		}
		wantError(t, e, e.Run("container", "exists"), 125, false, "container")
	})
}

// wait on a container that was never started prints 0 at once, as podman's (it
// waited for a start forever).
func TestAuditCtrWaitCreated(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "create", "--name", "never", img, "sh", "-c", "exit 3")
		if res := e.Run("run", "--name", "ran", img, "sh", "-c", "exit 4"); res.Code != 4 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := command(ctx, e, "wait", "never", "ran").Output()
		if err != nil || string(out) != "0\n4\n" {
			t.Errorf("[%s] wait never ran: %q, %v; want \"0\\n4\\n\" at once", e.Mode(), out, err)
		}
		// It still waits for a container that was started.
		e.Must(t, "start", "never")
		wantOut(t, e, e.Run("wait", "never"), "3\n")
	})
}

// An exec that fails before its command runs exits 255 (podman's
// ExecErrorCodeGeneric, which resource agents test for "not running"); the
// command's own codes, 126/127 and a missing container keep theirs.
func TestAuditCtrExecCodes(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "create", "--name", "made", img, "sleep", "100")
		e.Must(t, "run", "--name", "done", img, "true")
		runDetached(t, e, "--name", "up", img, "sleep", "1000")
		wantError(t, e, e.Run("exec", "made", "true"), 255, false, "can only create exec sessions on running containers")
		wantError(t, e, e.Run("exec", "done", "true"), 255, false, "can only create exec sessions on running containers")
		wantError(t, e, e.Run("exec", "-u", "nouser", "up", "true"), 255, false, "nouser")
		wantError(t, e, e.Run("exec", "nosuch", "true"), 125, false, "no such container")
		wantError(t, e, e.Run("exec", "up", "nonexist"), 127, false, "not found")
		if res := e.Run("exec", "up", "sh", "-c", "exit 125"); res.Code != 125 || res.Stderr != "" {
			t.Errorf("[%s] %s: want the command's 125 and no error\n%s", e.Mode(), res.Cmd, res)
		}
	})
}

// ps templates have podman's fields: every field of the JSON record, plus its
// strings (.Created is the creation time, .CreatedHuman and .RunningFor the age,
// a short .ImageID, .Networks joined); -q gives way to --format; commands are cut
// at 17 characters as podman's.
func TestAuditCtrPsTemplates(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		id := runDetached(t, e, "--name", "tpl", "-l", "a=b", img, "sleep", "1234567890123")
		imgID := strings.TrimSpace(e.Must(t, "inspect", "--format", "{{.Image}}", "tpl"))
		tmpl := "{{.ImageID}}|{{.AutoRemove}}|{{.Exited}}|{{.Pod}}|{{.IsInfra}}|{{.Mounts}}|{{.Label \"a\"}}|{{.Command}}|{{.RunningFor}}"
		want := imgID[:12] + "|false|false||false|[]|b|sleep 12345678901...|"
		if got := e.Must(t, "ps", "--format", tmpl); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, " ago") {
			t.Errorf("[%s] ps --format %s: %q, want %q + an age", e.Mode(), tmpl, got, want)
		}
		wantOut(t, e, e.Run("ps", "--no-trunc", "--format", "{{.ImageID}} {{.Command}}"), imgID+" sleep 1234567890123\n")
		created := e.Must(t, "ps", "--format", "{{.Created}}")
		if _, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", created); err != nil {
			t.Errorf("[%s] ps --format {{.Created}}: %q is not podman's time: %v", e.Mode(), created, err)
		}
		// (.Networks is the joined names; rootless slirp4netns has none.)
		if got := e.Must(t, "ps", "--format", "{{.StartedAt}}|{{.Networks}}"); !regexp.MustCompile(`^[1-9][0-9]+\|[^ \[\]]*$`).MatchString(got) {
			t.Errorf("[%s] ps --format {{.StartedAt}}|{{.Networks}}: %q, want a Unix time and the networks joined", e.Mode(), got)
		}
		wantOut(t, e, e.Run("ps", "-q", "--format", "{{.Names}}"), "tpl\n")
		wantOut(t, e, e.Run("ps", "-q"), id[:12]+"\n")
	})
}

// stats --format json is podman's record (id, name, cpu_time, cpu_percent, avg_cpu,
// mem_usage, mem_percent, net_io, block_io, pids, all strings); a named container
// that is not running is a row of zeros, not an error.
func TestAuditCtrStats(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		id := runDetached(t, e, "--name", "st", img, "sleep", "1000")
		cid := strings.TrimSpace(e.Must(t, "create", "--name", "idle", img, "true"))
		var got []map[string]any
		out := e.Must(t, "stats", "--no-stream", "--format", "json", "st", "idle")
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
			t.Fatalf("[%s] stats --format json: %v\n%s", e.Mode(), err, out)
		}
		keys := []string{"id", "name", "cpu_time", "cpu_percent", "avg_cpu", "mem_usage", "mem_percent", "net_io", "block_io", "pids"}
		for _, rec := range got {
			if len(rec) != len(keys) {
				t.Errorf("[%s] stats json record %v: want exactly the keys %q", e.Mode(), rec, keys)
			}
			for _, k := range keys {
				if _, ok := rec[k].(string); !ok {
					t.Errorf("[%s] stats json record %v: %q is not a string", e.Mode(), rec, k)
				}
			}
		}
		if got[0]["id"] != id[:12] || got[0]["name"] != "st" || got[0]["pids"] != "1" ||
			!regexp.MustCompile(`^[0-9.]+[kMG]?B / [0-9.]+[kMG]?B$`).MatchString(got[0]["mem_usage"].(string)) {
			t.Errorf("[%s] stats of st: %v", e.Mode(), got[0])
		}
		want := map[string]any{"id": cid[:12], "name": "idle", "cpu_time": "0s", "cpu_percent": "0.00%", "avg_cpu": "0.00%",
			"mem_usage": "0B / 0B", "mem_percent": "0.00%", "net_io": "0B / 0B", "block_io": "0B / 0B", "pids": "0"}
		if !reflect.DeepEqual(got[1], want) {
			t.Errorf("[%s] stats of a created container: %v, want %v", e.Mode(), got[1], want)
		}
		wantOut(t, e, e.Run("stats", "--no-stream", "--format", "{{.Name}} {{.PIDS}} {{.PIDs}} {{.ID}}", "st"), "st 1 1 "+id[:12]+"\n")
	})
}

// logs takes several containers, as podman's: each line starts with the
// container's short id (its name with --names), stdout and stderr kept apart;
// -f follows them together until both stopped.
func TestAuditCtrLogsMany(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		id1 := strings.TrimSpace(e.Must(t, "create", "--name", "l1", img, "sh", "-c", "echo a1; echo e1 >&2"))
		id2 := strings.TrimSpace(e.Must(t, "create", "--name", "l2", img, "sh", "-c", "printf b1"))
		e.Must(t, "start", "-a", "l1")
		e.Must(t, "start", "-a", "l2")
		res := e.Run("logs", "l1", "l2")
		if res.Code != 0 || res.Stdout != id1[:12]+" a1\n"+id2[:12]+" b1\n" || res.Stderr != id1[:12]+" e1\n" {
			t.Errorf("[%s] %s: want each line after its container's short id\n%s", e.Mode(), res.Cmd, res)
		}
		res = e.Run("logs", "--names", "l2", "l1", "--tail", "1")
		if res.Code != 0 || res.Stdout != "l2 b1\n" || res.Stderr != "l1 e1\n" {
			t.Errorf("[%s] %s: want each container's last line after its name\n%s", e.Mode(), res.Cmd, res)
		}
		wantOut(t, e, e.Run("logs", "-n", "l2"), "b1") // one container: no prefix
		runDetached(t, e, "--name", "f1", img, "sh", "-c", "sleep 1; echo late1")
		runDetached(t, e, "--name", "f2", img, "sh", "-c", "sleep 1; echo late2")
		got := sortedLines(e.Must(t, "logs", "-f", "--names", "f1", "f2"))
		if strings.Join(got, ",") != "f1 late1,f2 late2" {
			t.Errorf("[%s] logs -f --names f1 f2: %q", e.Mode(), got)
		}
		wantError(t, e, e.Run("logs"), 125, false, "at least one container")
		wantError(t, e, e.Run("logs", "l1", "nosuch"), 125, false, "no such container")
	})
}

// wait takes podman's --condition (printing -1 for a state other than exited or
// stopped) and --interval, and looks every container up before waiting for any.
func TestAuditCtrWaitCondition(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		runDetached(t, e, "--name", "up", img, "sleep", "1000")
		e.Must(t, "create", "--name", "made", img, "true")
		if res := e.Run("run", "--name", "gone", img, "sh", "-c", "exit 6"); res.Code != 6 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("wait", "--condition", "running", "--condition", "exited", "up"), "-1\n")
		wantOut(t, e, e.Run("wait", "--condition=created", "-i", "100", "made"), "-1\n")
		wantOut(t, e, e.Run("wait", "--condition", "stopped", "--interval", "50ms", "gone"), "6\n")
		if !e.Rootless() { // rootless on cgroup v1 has no freezer: no pause
			e.Must(t, "pause", "up")
			wantOut(t, e, e.Run("wait", "--condition", "paused", "up"), "-1\n")
			e.Must(t, "unpause", "up")
		}
		wantError(t, e, e.Run("wait", "--condition", "bogus", "up"), 125, false, "unknown container state: bogus")
		wantError(t, e, e.Run("wait", "--interval", "bogus", "up"), 125, false, "interval")
		// A missing container fails before anything is waited for or printed.
		res := e.Run("wait", "gone", "nosuch")
		wantError(t, e, res, 125, false, "no such container")
		if res.Stdout != "" {
			t.Errorf("[%s] %s: printed %q before failing", e.Mode(), res.Cmd, res.Stdout)
		}
	})
}

// Small wording and output differences scripts see: inspect of nothing found
// still prints podman's "[]"; a container with no command is podman's message.
func TestAuditCtrInspectEmptyAndNoCmd(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		for _, args := range [][]string{{"inspect", "nosuch"}, {"container", "inspect", "nosuch"}} {
			res := e.Run(args...)
			wantError(t, e, res, 125, false, "nosuch")
			if strings.TrimSpace(res.Stdout) != "[]" {
				t.Errorf("[%s] %s: stdout %q, want podman's []", e.Mode(), res.Cmd, res.Stdout)
			}
		}
		for _, cmd := range []string{"create", "run"} {
			res := e.Run(cmd, "--entrypoint", "", img)
			wantError(t, e, res, 125, false)
			if got := strings.TrimSpace(res.Stderr); got != "Error: no command or entrypoint provided, and no CMD or ENTRYPOINT from image" {
				t.Errorf("[%s] %s: %q, want podman's message", e.Mode(), res.Cmd, got)
			}
		}
		noContainers(t, e, "create/run without a command")
	})
}

// inspect has podman's State.Health block (empty: no healthchecks), so that a
// wait-for-healthy loop reads "" instead of failing on a missing key.
func TestAuditCtrInspectHealth(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "create", "--name", "h", img, "true")
		wantOut(t, e, e.Run("inspect", "--format", "[{{.State.Health.Status}}] {{.State.Health.FailingStreak}}", "h"), "[] 0\n")
	})
}

// ps takes podman's since=, before=, until= and network= filters (they were
// "unknown key").
func TestAuditCtrPsMoreFilters(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		for _, n := range []string{"first", "second", "third"} {
			e.Must(t, "create", "--name", n, img, "true")
			time.Sleep(10 * time.Millisecond) // distinct creation times
		}
		wantOut(t, e, e.Run("ps", "-a", "--filter", "since=first", "--format", "{{.Names}}"), "third\nsecond\n")
		wantOut(t, e, e.Run("ps", "-a", "--filter", "before=third", "--filter", "since=first", "--format", "{{.Names}}"), "second\n")
		wantOut(t, e, e.Run("ps", "-a", "--filter", "until=1h", "--format", "{{.Names}}"), "")
		wantOut(t, e, e.Run("ps", "-a", "--filter", "until="+time.Now().Add(time.Hour).Format(time.RFC3339), "-q"),
			e.Must(t, "ps", "-a", "-q")+"\n")
		wantOut(t, e, e.Run("ps", "-a", "--filter", "network=nosuchnet", "--format", "{{.Names}}"), "")
		if !e.Rootless() {
			e.Must(t, "create", "--name", "none", "--network", "none", img, "true")
			runDetached(t, e, "--name", "br", img, "sleep", "100")
			net := strings.TrimSpace(e.Must(t, "ps", "--filter", "name=^br$", "--format", "{{.Networks}}"))
			wantOut(t, e, e.Run("ps", "-a", "--filter", "network="+net, "--format", "{{.Names}}"), "br\nthird\nsecond\nfirst\n")
		}
		wantError(t, e, e.Run("ps", "--filter", "since=nosuch"), 125, false, "no such container")
		wantError(t, e, e.Run("ps", "--filter", "until=bogus"), 125, false, "bogus")
	})
}

// stop, kill, rm, pause, restart ... look every name up first, as podman: one
// missing name fails the command with nothing done (they acted on the others),
// unless --ignore or rm -f skip it.
func TestAuditCtrLookupFirst(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		runDetached(t, e, "--name", "a", img, "sleep", "1000")
		e.Must(t, "create", "--name", "b", img, "sleep", "1000")
		for _, args := range [][]string{{"stop", "a", "nosuch"}, {"kill", "a", "nosuch"}, {"restart", "a", "nosuch"}, {"start", "b", "nosuch"}} {
			res := e.Run(args...)
			wantError(t, e, res, 125, false, `"nosuch"`)
			if res.Stdout != "" {
				t.Errorf("[%s] %s: acted on %q before failing", e.Mode(), res.Cmd, res.Stdout)
			}
		}
		res := e.Run("rm", "-t", "0", "a", "nosuch")
		wantError(t, e, res, 1, false, `"nosuch"`)
		if st := inspectCtr(t, e, "a").State; !st.Running || st.Pid <= 0 {
			t.Errorf("[%s] a is not running after the failed commands: %+v", e.Mode(), st)
		}
		if st := inspectCtr(t, e, "b").State; st.Status != "created" {
			t.Errorf("[%s] start b nosuch started b: %+v", e.Mode(), st)
		}
		wantOut(t, e, e.Run("stop", "--ignore", "-t", "0", "nosuch", "a"), "a\n")
		wantOut(t, e, e.Run("rm", "-f", "a", "nosuch"), "a\n")
	})
}

// --cidfile naming a file that exists fails first, with podman's message, and
// leaves the file and the store as they were.
func TestAuditCtrCidfileExists(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		f := userFile(t, e, "cid", "other\n")
		for _, cmd := range []string{"create", "run"} {
			res := e.Run(cmd, "--cidfile", f, img, "true")
			wantError(t, e, res, 125, false, "container id file exists. Ensure another container is not using it or delete "+f)
			if b, err := os.ReadFile(f); err != nil || string(b) != "other\n" {
				t.Errorf("[%s] %s: the cidfile became %q (%v)", e.Mode(), res.Cmd, b, err)
			}
		}
		noContainers(t, e, "a run with an existing --cidfile")
	})
}

// ps without -a lists running containers only, as podman: a paused one shows with
// -a (or a status filter), as "Paused".
func TestAuditCtrPsPaused(t *testing.T) {
	requireIntegration(t) // as root only: rootless on cgroup v1 has no freezer
	e := testutil.NewEngine(t, nil)
	img := ctrSetup(t, e)
	runDetached(t, e, "--name", "fz", img, "sleep", "1000")
	runDetached(t, e, "--name", "up", img, "sleep", "1000")
	e.Must(t, "pause", "fz")
	wantOut(t, e, e.Run("ps", "--format", "{{.Names}}"), "up\n")
	wantOut(t, e, e.Run("ps", "-a", "--filter", "name=fz", "--format", "{{.Status}} {{.State}}"), "Paused paused\n")
	wantOut(t, e, e.Run("ps", "--filter", "status=paused", "--format", "{{.Names}}"), "fz\n")
	e.Must(t, "unpause", "fz")
}

// logs --since/--until take podman's time forms: dates and times without a zone,
// Unix timestamps, RFC 3339 and durations (dates failed).
func TestAuditCtrLogsTimes(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "--name", "lt", img, "echo", "line")
		for _, since := range []string{"2000-01-01", "2000-01-01T00:00:00", "946684800", "2000-01-01T00:00:00Z", "1h"} {
			wantOut(t, e, e.Run("logs", "--since", since, "--until", "2099-01-01", "lt"), "line\n")
		}
		wantOut(t, e, e.Run("logs", "--since", "2099-01-01", "lt"), "")
		wantError(t, e, e.Run("logs", "--since", "bogus", "lt"), 125, false, "bogus")
	})
}

// --format '{{json .}}' is podman's other spelling of --format json for ps,
// inspect and stats (the whole array, not a line per row); ps headers of
// two-word fields are podman's.
func TestAuditCtrJSONTemplate(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		runDetached(t, e, "--name", "js", img, "sleep", "1000")
		for _, args := range [][]string{{"ps"}, {"inspect", "js"}, {"stats", "--no-stream", "js"}} {
			want := e.Must(t, append(append([]string{}, args...), "--format", "json")...)
			got := e.Must(t, append(append([]string{}, args...), "--format", "{{ json . }}")...)
			var a, b []map[string]any
			if json.Unmarshal([]byte(want), &a) != nil || json.Unmarshal([]byte(got), &b) != nil || len(a) != 1 || len(b) != 1 {
				t.Errorf("[%s] %v --format '{{ json . }}': %q, want the array of --format json %q", e.Mode(), args, got, want)
			}
		}
		wantOut(t, e, e.Run("ps", "--format", "table {{.ExitCode}}\t{{.CreatedAt}}", "--filter", "name=nosuch"), "EXIT CODE  CREATED AT\n")
	})
}

// cp of a source that does not exist says so in podman's words, on either side.
func TestAuditCtrCpMissing(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "create", "--name", "cpm", img, "true")
		wantError(t, e, e.Run("cp", "cpm:/nonexist", e.Home+"/x"), 125, false,
			`"/nonexist" could not be found on container cpm: no such file or directory`)
		wantError(t, e, e.Run("cp", e.Home+"/nonexist", "cpm:/"), 125, false,
			`"`+e.Home+`/nonexist" could not be found on the host: no such file or directory`)
	})
}

// ps --sort takes podman's keys (the flag was unknown).
func TestAuditCtrPsSort(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		for _, n := range []string{"b", "c", "a"} {
			e.Must(t, "create", "--name", n, img, "echo", n)
		}
		wantOut(t, e, e.Run("ps", "-a", "--sort", "names", "--format", "{{.Names}}"), "a\nb\nc\n")
		wantOut(t, e, e.Run("ps", "-a", "--sort", "command", "--format", "{{.Names}}"), "a\nb\nc\n")
		wantOut(t, e, e.Run("ps", "-a", "--sort", "created", "--format", "{{.Names}}"), "a\nc\nb\n")
		wantError(t, e, e.Run("ps", "--sort", "bogus"), 125, false, `"bogus" for "--sort"`)
	})
}
