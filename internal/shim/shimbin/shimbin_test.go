package shimbin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// withShim pretends the binary carries a shim for one test.
func withShim(t *testing.T, content, hash string) {
	t.Helper()
	oldBin, oldSum := binary, sum
	binary, sum = []byte(content), hash
	t.Cleanup(func() { binary, sum = oldBin, oldSum })
}

func TestPathWithoutShim(t *testing.T) {
	withShim(t, "", "")
	if _, err := Path(t.TempDir()); !errors.Is(err, ErrNotEmbedded) {
		t.Errorf("Path without a shim: %v, want ErrNotEmbedded", err)
	}
}

func TestPathWritesOnceAndRepairs(t *testing.T) {
	withShim(t, "#!/bin/sh\nexit 0\n", "0123456789abcdef0123\n")
	dir := filepath.Join(t.TempDir(), "engine")
	p, err := Path(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "engine-shim-0123456789abcdef"); p != want {
		t.Errorf("Path = %q, want %q", p, want)
	}
	check := func(what string) {
		t.Helper()
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := os.ReadFile(p)
		if st.Mode() != 0o555 || !bytes.Equal(b, binary) {
			t.Errorf("%s: mode %v content %q, want 0555 and the shim", what, st.Mode(), b)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%s: %d files in %s, want the shim only", what, len(ents), dir)
		}
	}
	check("first call")
	st1, _ := os.Stat(p)
	if _, err := Path(dir); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(p); !os.SameFile(st1, st2) {
		t.Error("second call rewrote a good shim")
	}
	// Cut short (or someone else's file): replaced.
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Path(dir); err != nil {
		t.Fatal(err)
	}
	check("after repair")
}

// A noexec mount cannot hold the shim: Path fails, so the caller tries another
// directory or falls back to the full binary, rather than the monitor failing
// every start with "permission denied".
func TestPathRefusesNoexec(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a noexec tmpfs needs root")
	}
	withShim(t, "#!/bin/sh\n", "0123456789abcdef\n")
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOEXEC, "size=1m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	if p, err := Path(filepath.Join(dir, "engine")); err == nil {
		t.Errorf("Path on a noexec mount = %q, want an error", p)
	}
}
