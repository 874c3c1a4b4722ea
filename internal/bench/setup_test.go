package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSmapsRollup(t *testing.T) {
	in := `56333b974000-7ffcb0083000 ---p 00000000 00:00 0                          [rollup]
Rss:                2060 kB
Pss:                1014 kB
Pss_Dirty:           332 kB
Pss_Anon:            332 kB
`
	rss, pss, err := parseSmapsRollup(in)
	if err != nil || rss != 2060 || pss != 1014 {
		t.Errorf("parseSmapsRollup = %v, %v, %v; want 2060, 1014", rss, pss, err)
	}
	if _, _, err := parseSmapsRollup("Rss: 1 kB\n"); err == nil {
		t.Error("no error without a Pss line")
	}
	if _, _, err := parseSmapsRollup("Rss: x kB\nPss: 1 kB\n"); err == nil {
		t.Error("no error for a bad number")
	}
}

func TestParseFlagsQuick(t *testing.T) {
	full, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if full.Runs != 10 || full.PsContainers != 1000 || full.RmContainers != 500 || full.Parallel != 20 || full.BigLayerMB != 25 {
		t.Errorf("full defaults: %+v", full)
	}
	quick, err := parseFlags([]string{"-quick", "-runs", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if quick.Runs != 7 {
		t.Errorf("-runs given with -quick: runs = %d, want 7", quick.Runs)
	}
	if quick.PsContainers >= full.PsContainers || quick.Warmup != 0 || quick.BigLayerMB >= full.BigLayerMB {
		t.Errorf("quick settings not applied: %+v", quick)
	}
	for name := range quickDefaults {
		if _, ok := quick.settings()[name]; !ok {
			t.Errorf("quick default %q is not a setting", name)
		}
	}
	if _, err := parseFlags([]string{"extra"}); err == nil {
		t.Error("no error for a stray argument")
	}
}

func TestPodmanConf(t *testing.T) {
	conf := podmanConf("/tmp/x", 32768)
	for _, want := range []string{
		`cgroup_manager = "cgroupfs"`,
		`events_logger = "file"`,
		`runtime = "runc"`,
		`default_ulimits = ["nofile=1024:1024", "nproc=32768:32768"]`,
		`tmp_dir = "/tmp/x/podman-tmp"`,
		`network_config_dir = "/tmp/x/networks"`,
		`image_copy_tmp_dir = "/tmp/x/tmp"`,
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("containers.conf lacks %q:\n%s", want, conf)
		}
	}
	if n := nprocLimit(); n == 0 || n > 32768 {
		t.Errorf("nprocLimit() = %d", n)
	}
}

func TestSubIDs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "subuid")
	os.WriteFile(file, []byte("a:100000:65536\na:300000:65536\nb:165536:65536\nbad line\n"), 0o644)
	ranges, err := readSubIDs(file)
	if err != nil || len(ranges) != 3 {
		t.Fatalf("readSubIDs = %v, %v", ranges, err)
	}
	if got := nextFreeSubID(ranges); got != 393216 { // past 365536, a multiple of 65536
		t.Errorf("nextFreeSubID = %d, want 393216", got)
	}
	if got := nextFreeSubID(nil); got != 131072 {
		t.Errorf("nextFreeSubID(nil) = %d, want 131072", got)
	}
	if r, err := readSubIDs(filepath.Join(dir, "missing")); err != nil || r != nil {
		t.Errorf("missing file: %v, %v", r, err)
	}
	u := &BenchUser{UID: 1005, SubUID: [2]uint32{524288, 65536}}
	for uid, want := range map[uint32]bool{1005: true, 524288: true, 589823: true, 589824: false, 0: false} {
		if u.owns(uid) != want {
			t.Errorf("owns(%d) = %v", uid, !want)
		}
	}
}

func TestUnder(t *testing.T) {
	for path, want := range map[string]bool{"/tmp/a": true, "/tmp/a/b": true, "/tmp/ab": false, "/": false, "": false} {
		if under(path, "/tmp/a") != want {
			t.Errorf("under(%q) = %v", path, !want)
		}
	}
}
