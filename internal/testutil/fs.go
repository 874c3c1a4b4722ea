package testutil

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// SharedDir returns a new directory that every user can traverse and read (0755,
// under os.TempDir), unlike t.TempDir's 0700 directories, for files the rootless user
// must reach. It is removed (as root, so also files owned by subordinate ids) when the
// test ends; mounts under it are detached first.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "engine-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if m, _ := MountsUnder(dir); len(m) > 0 {
			unmountAll(m)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing test directory: %v", err)
		}
	})
	return dir
}

// MountsUnder lists the mount points in this process's mount table (the host's, for
// a test run as root) at or below any of dirs, deepest first.
func MountsUnder(dirs ...string) ([]string, error) {
	return MountsIn("/proc/self/mountinfo", dirs...)
}

// MountsIn is MountsUnder for another mountinfo file (another process's mount
// namespace: /proc/PID/mountinfo).
func MountsIn(path string, dirs ...string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		for _, d := range dirs {
			d = filepath.Clean(d)
			if mp == d || strings.HasPrefix(mp, d+"/") {
				out = append(out, mp)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMountinfo decodes the octal escapes (\040 for space...) of mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unmountAll(mounts []string) {
	for _, m := range mounts { // deepest first
		_ = unix.Unmount(m, unix.MNT_DETACH)
	}
}
