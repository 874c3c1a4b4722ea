package netcni

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDelPaths(t *testing.T) {
	for _, tool := range []string{"iptables", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	m := New(Options{GraphRoot: t.TempDir(), RunRoot: t.TempDir()})
	for _, c := range []struct {
		conflist string
		want     map[string][]string // plugin type -> tools in its PATH; absent: caller's PATH
	}{
		{`{"plugins":[{"type":"bridge","ipMasq":true,"ipMasqBackend":"iptables"},{"type":"portmap","backend":"nftables"}]}`,
			map[string][]string{"bridge": {"iptables"}, "portmap": {"nft"}}},
		// written before the backends were set: the plugins' default, iptables
		{`{"plugins":[{"type":"bridge","ipMasq":true},{"type":"portmap","backend":"iptables"},{"type":"firewall","backend":"iptables"}]}`,
			map[string][]string{"bridge": {"iptables"}, "portmap": {"iptables"}}},
		{`{"plugins":[{"type":"bridge","ipMasq":false},{"type":"tuning"}]}`,
			map[string][]string{"bridge": {}, "tuning": {}}},
		{`{"plugins":[{"type":"macvlan"}]}`, map[string][]string{"macvlan": {}}},
		{`not json`, map[string][]string{}},
	} {
		got := m.delPaths([]byte(c.conflist))
		for typ, tools := range c.want {
			dir, ok := got[typ]
			if !ok {
				t.Errorf("%s: no PATH for %s", c.conflist, typ)
				continue
			}
			ents, _ := os.ReadDir(dir)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if strings.Join(names, ",") != strings.Join(tools, ",") {
				t.Errorf("%s: PATH of %s holds %v, want %v", c.conflist, typ, names, tools)
			}
			for _, n := range names {
				if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
					t.Errorf("%s: %s/%s does not resolve: %v", c.conflist, dir, n, err)
				}
			}
		}
		for typ := range got {
			if _, ok := c.want[typ]; !ok {
				t.Errorf("%s: unexpected PATH for %s", c.conflist, typ)
			}
		}
	}
}

func TestMallocTunable(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "glibc.malloc.mmap_threshold=8388608",
		"glibc.malloc.arena_max=2":           "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=8388608",
		"glibc.malloc.mmap_threshold=131072": "glibc.malloc.mmap_threshold=131072",
	} {
		if got := mallocTunable(in); got != want {
			t.Errorf("mallocTunable(%q) = %q, want %q", in, got, want)
		}
	}
	env := withEnv([]string{"A=1", "PATH=/bin", "B=2"}, "PATH", "/x")
	if strings.Join(env, " ") != "A=1 B=2 PATH=/x" {
		t.Errorf("withEnv: %v", env)
	}
	if v := envValue(env, "PATH"); v != "/x" {
		t.Errorf("envValue: %q", v)
	}
}
