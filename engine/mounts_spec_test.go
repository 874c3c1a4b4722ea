package engine

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSpecMounts(t *testing.T) {
	host := t.TempDir()
	c := &Container{r: &Runtime{}, Config: &Config{Mounts: MountConfig{
		ReadOnly: true, ReadOnlyTmpfs: true,
		Mounts: []Mount{
			{Type: MountTmpfs, Destination: "/a/b/c", Options: []string{"size=1024"}},
			{Type: MountBind, Source: host, Destination: "/a", ReadOnly: true, Propagation: "rslave"},
			{Type: MountTmpfs, Destination: "/tmp"},
			{Type: MountTmpfs, Destination: "/dev/shm"},
		},
	}}}
	spec := &specs.Spec{Root: &specs.Root{}, Process: &specs.Process{}, Mounts: defaultMounts(false)}
	if err := c.specMounts(spec, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if !spec.Root.Readonly {
		t.Error("--read-only: root not read-only")
	}
	var dests []string
	byDest := map[string]specs.Mount{}
	for _, m := range spec.Mounts {
		dests = append(dests, m.Destination)
		byDest[m.Destination] = m
	}
	// Defaults first (without the /dev/shm the user replaced), then the user's by
	// depth; the user's /tmp stands in for --read-only's.
	want := []string{"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
		"/a", "/tmp", "/run", "/dev/shm", "/var/tmp", "/a/b/c"}
	if !reflect.DeepEqual(dests, want) {
		t.Errorf("mount order:\n got %q\nwant %q", dests, want)
	}
	if m := byDest["/a"]; m.Type != "bind" || m.Source != host || !reflect.DeepEqual(m.Options, []string{"rbind", "rslave", "ro"}) {
		t.Errorf("bind mount: %+v", m)
	}
	if m := byDest["/a/b/c"]; m.Type != "tmpfs" || !reflect.DeepEqual(m.Options, []string{"nosuid", "nodev", "size=1024"}) {
		t.Errorf("tmpfs mount: %+v", m)
	}
	if m := byDest["/tmp"]; !reflect.DeepEqual(m.Options, []string{"nosuid", "nodev"}) {
		t.Errorf("the user's /tmp was replaced: %+v", m)
	}
}
