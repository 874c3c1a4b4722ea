package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestValidVolumeName(t *testing.T) {
	for _, ok := range []string{"a", "A1", "v.1_x-y", "0"} {
		if err := ValidVolumeName(ok); err != nil {
			t.Errorf("ValidVolumeName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".x", "_x", "-x", "a/b", "../x", "a b", "a:b", ".engine.lock"} {
		if err := ValidVolumeName(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ValidVolumeName(%q) = %v, want ErrInvalidArg", bad, err)
		}
	}
	if n := newVolumeName(); len(n) != 64 || ValidVolumeName(n) != nil {
		t.Errorf("newVolumeName() = %q", n)
	}
}

func TestVolumeStore(t *testing.T) {
	s := volumeStore{dir: filepath.Join(t.TempDir(), "volumes")}
	unlock, err := s.lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	v, err := newVolume(VolumeCreateOptions{Name: "v1", Labels: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.create(v); err != nil {
		t.Fatal(err)
	}
	if err := s.create(v); !errors.Is(err, ErrVolumeExists) {
		t.Errorf("second create: %v, want ErrVolumeExists", err)
	}
	// A directory without engine's record (podman's volume) is neither listed nor taken over.
	if err := os.MkdirAll(filepath.Join(s.dir, "podmans", "_data"), 0o755); err != nil {
		t.Fatal(err)
	}
	pv, _ := newVolume(VolumeCreateOptions{Name: "podmans"})
	if err := s.create(pv); !errors.Is(err, ErrVolumeExists) {
		t.Errorf("create over a foreign directory: %v, want ErrVolumeExists", err)
	}
	got, err := s.get("v1")
	if err != nil || got.Labels["a"] != "b" || got.Mountpoint != filepath.Join(s.dir, "v1", "_data") || !got.NeedsCopyUp {
		t.Errorf("get = %+v, %v", got, err)
	}
	list, err := s.list()
	if err != nil || len(list) != 1 || list[0].Name != "v1" {
		t.Errorf("list = %v, %v", list, err)
	}
	if err := s.remove("v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.get("v1"); !errors.Is(err, ErrNoSuchVolume) {
		t.Errorf("get after remove: %v", err)
	}
	if _, err := s.get("../x"); !errors.Is(err, ErrNoSuchVolume) {
		t.Errorf("get(../x): %v", err)
	}
	if err := os.Mkdir(filepath.Join(s.dir, volumeRmStart+"left"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.sweep()
	ents, _ := os.ReadDir(s.dir)
	if len(ents) != 2 { // the lock file and podman's directory
		t.Errorf("after sweep: %v", ents)
	}
}

func TestVolumeOptionsAndFilters(t *testing.T) {
	v, err := newVolume(VolumeCreateOptions{Options: map[string]string{"o": "uid=1000,gid=100"}})
	if err != nil || v.UID != 1000 || v.GID != 100 || v.NeedsChown || v.Options["UID"] != "1000" {
		t.Errorf("o=uid=1000,gid=100: %+v, %v", v, err)
	}
	for _, bad := range []VolumeCreateOptions{
		{Driver: "nfs"}, {Name: "a/b"}, {Options: map[string]string{"type": "tmpfs"}},
		{Options: map[string]string{"o": "size=1m"}}, {Options: map[string]string{"o": "uid=x"}},
	} {
		if _, err := newVolume(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("newVolume(%+v) = %v, want ErrInvalidArg", bad, err)
		}
	}
	vol := &Volume{Name: "data1", Driver: "local", Scope: "local", Labels: map[string]string{"env": "prod", "x": ""}}
	tests := []struct {
		filters []string
		inUse   bool
		want    bool
	}{
		{nil, false, true},
		{[]string{"name=^data"}, false, true},
		{[]string{"name=^x", "name=1$"}, false, true},
		{[]string{"name=^x"}, false, false},
		{[]string{"label=env"}, false, true},
		{[]string{"label=env=prod"}, false, true},
		{[]string{"label=env=dev"}, false, false},
		{[]string{"label=env", "name=nope"}, false, false},
		{[]string{"dangling=true"}, false, true},
		{[]string{"dangling=true"}, true, false},
		{[]string{"dangling=false"}, true, true},
		{[]string{"driver=local", "scope=local", "anonymous=false"}, false, true},
	}
	for _, tt := range tests {
		f, err := parseVolumeFilters(tt.filters)
		if err != nil {
			t.Fatalf("%v: %v", tt.filters, err)
		}
		if got := f.match(vol, tt.inUse); got != tt.want {
			t.Errorf("filters %v (in use %v) = %v, want %v", tt.filters, tt.inUse, got, tt.want)
		}
	}
	for _, bad := range []string{"bogus=1", "dangling=maybe", "name=(", "name"} {
		if _, err := parseVolumeFilters([]string{bad}); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("filter %q: %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestChownTreeNoFollow(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another uid needs root")
	}
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", "b", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := chownTree(root, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root, filepath.Join(root, "a", "b", "f"), filepath.Join(root, "link")} {
		if uid := lstatUID(t, p); uid != 4321 {
			t.Errorf("%s: uid %d, want 4321", p, uid)
		}
	}
	if uid := lstatUID(t, outside); uid != 0 {
		t.Errorf("the chown followed a symlink out of the tree: %s has uid %d", outside, uid)
	}
}

func lstatUID(t *testing.T, p string) uint32 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid
}
