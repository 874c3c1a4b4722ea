package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// uidMap reads a container's /proc/self/uid_map as lines of three numbers.
func uidMap(t *testing.T, e *testutil.Engine, args ...string) [][3]uint64 {
	t.Helper()
	out := e.Must(t, append(append([]string{"run", "--rm"}, args...), "cat", "/proc/self/uid_map")...)
	var m [][3]uint64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("[%s] uid_map line %q", e.Mode(), line)
		}
		var row [3]uint64
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				t.Fatalf("[%s] uid_map line %q: %v", e.Mode(), line, err)
			}
			row[i] = n
		}
		m = append(m, row)
	}
	return m
}

// TestUserNSAuto: root's --userns=auto gives each container its own range of the
// "containers" subordinate ids, the image's files still belong to root inside, and
// what the container's root writes belongs to the range's first id on the host.
func TestUserNSAuto(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	testutil.EnsureAutoUserNS(t)
	e := testutil.NewEngine(t, nil)
	img := ctrSetup(t, e)

	m := uidMap(t, e, "--userns", "auto", "--network", "none", img)
	if len(m) != 1 || m[0][0] != 0 || m[0][1] < 2147483647 || m[0][2] < 1024 {
		t.Fatalf("--userns auto: uid_map %v, want 0 -> a range of >= 1024 ids from 2147483647", m)
	}
	if m := uidMap(t, e, "--userns", "auto:size=2000", "--network", "none", img); len(m) != 1 || m[0][2] != 2000 {
		t.Errorf("--userns auto:size=2000: uid_map %v, want one range of 2000", m)
	}

	// The image's files are root's inside, and the container's root owns what it writes.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	out := e.Must(t, "run", "--rm", "--userns", "auto", "-v", dir+":/data", img, "sh", "-c",
		"id -u; stat -c %u:%g /bin/busybox; touch /data/f; cat /proc/self/uid_map; echo x >> /etc/hosts && echo hosts-writable; ls /sys/class >/dev/null && echo sys")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != "0" || lines[1] != "0:0" || lines[3] != "hosts-writable" || lines[4] != "sys" {
		t.Fatalf("--userns auto on the default network: %q", out)
	}
	first, _ := strconv.Atoi(strings.Fields(lines[2])[1])
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, "f"), &st); err != nil {
		t.Fatal(err)
	}
	if int(st.Uid) != first {
		t.Errorf("a file the container's root wrote belongs to %d on the host, want %d (uid_map %q)", st.Uid, first, lines[2])
	}

	// Two containers at once never share ids.
	runDetached(t, e, "--name", "a1", "--userns", "auto", "--network", "none", img, "sleep", "60")
	runDetached(t, e, "--name", "a2", "--userns", "auto", "--network", "none", img, "sleep", "60")
	r1 := strings.Fields(e.Must(t, "exec", "a1", "cat", "/proc/self/uid_map"))
	r2 := strings.Fields(e.Must(t, "exec", "a2", "cat", "/proc/self/uid_map"))
	s1, _ := strconv.ParseUint(r1[1], 10, 64)
	n1, _ := strconv.ParseUint(r1[2], 10, 64)
	s2, _ := strconv.ParseUint(r2[1], 10, 64)
	n2, _ := strconv.ParseUint(r2[2], 10, 64)
	if s1 < s2+n2 && s2 < s1+n1 {
		t.Errorf("two --userns auto containers overlap: %v and %v", r1, r2)
	}
	var h struct{ UsernsMode string }
	inspectHost(t, e, "a1", &h)
	if h.UsernsMode != "auto" {
		t.Errorf("inspect UsernsMode %q, want auto", h.UsernsMode)
	}
	// A copy into the container belongs to its root, as it sees it.
	f := filepath.Join(dir, "cpfile")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Must(t, "cp", f, "a1:/tmp/cpfile")
	wantOut(t, e, e.Run("exec", "a1", "stat", "-c", "%u:%g", "/tmp/cpfile"), "0:0\n")
	e.Must(t, "rm", "-f", "-t", "0", "a1", "a2")

	for _, tc := range []struct{ arg, want string }{
		{"auto:size=x", "invalid --userns"},
		{"auto:bogus=1", "unknown option"},
		{"keep-id", "only supported in rootless mode"},
	} {
		wantError(t, e, e.Run("run", "--rm", "--userns", tc.arg, img, "true"), 125, false, tc.want)
	}
	noContainers(t, e, "userns auto")
}

// TestUserNSRootless: an ordinary user's keep-id runs the process as the user's own
// id and name, with the image's files still root's; auto picks from the user's
// subordinate ids.
func TestUserNSRootless(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	u := testutil.User(t)
	e := testutil.NewEngine(t, u)
	img := ctrSetup(t, e)
	uid := strconv.Itoa(int(u.UID))

	out := e.Must(t, "run", "--rm", "--userns", "keep-id", img, "sh", "-c",
		"id -u; id -g; id -un; stat -c %u:%g /bin/busybox; echo $HOME; grep -c \"^"+u.Name+":\" /etc/passwd")
	want := strings.Join([]string{uid, strconv.Itoa(int(u.GID)), u.Name, "0:0", u.Home, "1"}, "\n")
	if out != want {
		t.Errorf("--userns keep-id: got %q, want %q", out, want)
	}
	m := uidMap(t, e, "--userns", "keep-id", "--network", "none", img)
	kept := false
	for _, row := range m {
		if row[0] == uint64(u.UID) && row[1] == 0 && row[2] == 1 {
			kept = true
		}
	}
	if !kept {
		t.Errorf("--userns keep-id: uid_map %v lacks %s -> 0 (the user)", m, uid)
	}
	wantOut(t, e, e.Run("run", "--rm", "--userns", "keep-id", "-u", "0", img, "id", "-u"), "0\n")
	wantOut(t, e, e.Run("run", "--rm", "--userns", "keep-id:uid=5,gid=6", img, "sh", "-c", "id -u; id -g"), "5\n6\n")

	m = uidMap(t, e, "--userns", "auto", "--network", "none", img)
	if len(m) != 1 || m[0][0] != 0 || m[0][1] < 1 || m[0][2] < 1024 {
		t.Errorf("rootless --userns auto: uid_map %v, want 0 -> >= 1024 of the user's subordinate ids", m)
	}
	noContainers(t, e, "userns rootless")
}
