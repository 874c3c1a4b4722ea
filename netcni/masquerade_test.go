package netcni

import (
	"reflect"
	"strings"
	"testing"
)

func TestMasqRules(t *testing.T) {
	n := &Network{Name: "n", Driver: "bridge", NetworkInterface: "engine3",
		Subnets: []Subnet{{Subnet: "10.89.3.0/24"}, {Subnet: "fd00::/64"}, {Subnet: "10.90.0.7/16"}}}
	got := masqRules(n)
	if len(got) != 2 {
		t.Fatalf("masqRules: %d rules, want 2 (IPv4 only): %q", len(got), got)
	}
	want0 := "-s 10.89.3.0/24 ! -d 224.0.0.0/4 ! -o engine3 -m comment --comment engine masquerade engine3 -j MASQUERADE"
	if s := strings.Join(got[0], " "); s != want0 {
		t.Errorf("rule 0:\n got %s\nwant %s", s, want0)
	}
	if got[1][1] != "10.90.0.0/16" {
		t.Errorf("rule 1 source %q, want the network 10.90.0.0/16", got[1][1])
	}
}

func TestWantsMasquerade(t *testing.T) {
	for _, c := range []struct {
		rootless bool
		n        Network
		want     bool
	}{
		{false, Network{Driver: "bridge", NetworkInterface: "engine0"}, true},
		{true, Network{Driver: "bridge", NetworkInterface: "engine0"}, false},
		{false, Network{Driver: "bridge", NetworkInterface: "engine0", Internal: true}, false},
		{false, Network{Driver: "macvlan", NetworkInterface: "eth0"}, false},
	} {
		m := &Manager{rootless: c.rootless}
		if got := m.wantsMasquerade(&c.n); got != c.want {
			t.Errorf("rootless=%v %+v: %v, want %v", c.rootless, c.n, got, c.want)
		}
	}
}

// The bridge plugin masquerades only where engine does not.
func TestConflistIPMasq(t *testing.T) {
	n := &Network{Name: "n", Driver: "bridge", NetworkInterface: "engine0", Subnets: []Subnet{{Subnet: "10.89.0.0/24"}}}
	for _, rootless := range []bool{false, true} {
		m := &Manager{rootless: rootless, stateDir: t.TempDir()}
		f, err := m.conflist(n, &plugins{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.bytes()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Contains(string(b), `"ipMasq":true`), rootless; got != want {
			t.Errorf("rootless=%v: bridge ipMasq %v, want %v:\n%s", rootless, got, want, b)
		}
	}
}

func TestSplitRule(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`-s 10.89.3.0/24 ! -o engine3 -m comment --comment "engine masquerade engine3" -j MASQUERADE`,
			[]string{"-s", "10.89.3.0/24", "!", "-o", "engine3", "-m", "comment", "--comment", "engine masquerade engine3", "-j", "MASQUERADE"}, true},
		{`-j ACCEPT`, []string{"-j", "ACCEPT"}, true},
		{`--comment "unterminated`, nil, false},
	} {
		got, ok := splitRule(c.in)
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("splitRule(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
