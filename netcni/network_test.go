package netcni

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "net-1", "my_net.2", "A9"} {
		if err := checkName(ok); err != nil {
			t.Errorf("checkName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a/b", "a b", "../x", ".x", strings.Repeat("a", 201)} {
		if err := checkName(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("checkName(%q): %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestParseSubnet(t *testing.T) {
	s, err := parseSubnet("10.90.1.7/24", "", "10.90.1.128/25")
	if err != nil {
		t.Fatal(err)
	}
	if s.Subnet != "10.90.1.0/24" || s.Gateway != "10.90.1.1" || s.LeaseRange == nil ||
		s.LeaseRange.StartIP != "10.90.1.129" || s.LeaseRange.EndIP != "10.90.1.254" {
		t.Errorf("parseSubnet: %+v %+v", s, s.LeaseRange)
	}
	for _, c := range [][3]string{{"nope", "", ""}, {"10.0.0.0/31", "", ""}, {"10.0.0.0/24", "10.0.1.1", ""},
		{"10.0.0.0/24", "", "10.0.5.0/25"}, {"fd00::/64", "", ""}} {
		if _, err := parseSubnet(c[0], c[1], c[2]); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("parseSubnet(%q): %v, want ErrInvalidArg", c, err)
		}
	}
}

func TestSubnetFree(t *testing.T) {
	existing := []*Network{{Name: "a", Subnets: []Subnet{{Subnet: "10.89.5.0/24"}}}}
	_, hostNet, _ := net.ParseCIDR("192.168.0.0/16")
	claims := []claimRecord{{Bridge: "engine9", Subnet: "10.89.9.0/24", Config: "/x"}}
	for _, c := range []string{"10.89.5.128/25", "10.89.0.0/16", "192.168.3.0/24", "10.89.9.0/24"} {
		if err := subnetFree(c, existing, []*net.IPNet{hostNet}, claims); !errors.Is(err, ErrInUse) {
			t.Errorf("subnetFree(%s): %v, want ErrInUse", c, err)
		}
	}
	if err := subnetFree("10.89.6.0/24", existing, []*net.IPNet{hostNet}, claims); err != nil {
		t.Errorf("subnetFree(10.89.6.0/24): %v", err)
	}
}

func TestConflist(t *testing.T) {
	m := New(Options{GraphRoot: "/g", RunRoot: "/r"})
	n := &Network{Name: "n", Driver: "bridge", NetworkInterface: "engine4", Subnets: []Subnet{{Subnet: "10.89.4.0/24", Gateway: "10.89.4.1"}}}
	types := func(p *plugins) []string {
		f, err := m.conflist(n, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, raw := range f.Plugins {
			var pl struct {
				Type string `json:"type"`
				IPAM struct {
					DataDir string `json:"dataDir"`
				} `json:"ipam"`
			}
			_ = json.Unmarshal(raw, &pl)
			if pl.Type == "bridge" && pl.IPAM.DataDir != "/r/engine/net/ipam" {
				t.Errorf("host-local dataDir %q, want it under the run root", pl.IPAM.DataDir)
			}
			out = append(out, pl.Type)
		}
		return out
	}
	if got := strings.Join(types(nil), ","); got != "bridge,portmap,firewall,tuning" {
		t.Errorf("full conflist plugins: %s", got)
	}
	if got := strings.Join(types(&plugins{}), ","); got != "bridge" {
		t.Errorf("minimal conflist plugins: %s", got)
	}
	n.Internal = true
	if got := strings.Join(types(nil), ","); got != "bridge,firewall,tuning" {
		t.Errorf("internal network plugins: %s (no portmap)", got)
	}
}

func TestResolvConf(t *testing.T) {
	host := []byte("nameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch a.test b.test\noptions ndots:2\n")
	if got := string(ResolvConf(host, nil, nil, nil, false)); got != "search a.test b.test\nnameserver 10.1.1.1\noptions ndots:2\n" {
		t.Errorf("host resolv.conf without loopback: %q", got)
	}
	if got := string(ResolvConf([]byte("nameserver 127.0.0.1\n"), nil, nil, nil, true)); got != "nameserver 10.0.2.3\n" {
		t.Errorf("slirp fallback: %q", got)
	}
	if got := string(ResolvConf(host, []string{"9.9.9.9"}, []string{"x.test"}, []string{"rotate"}, false)); got != "search x.test\nnameserver 9.9.9.9\noptions rotate\n" {
		t.Errorf("--dns overrides: %q", got)
	}
}

func TestHostsBase(t *testing.T) {
	hostsFile = filepath.Join(t.TempDir(), "hosts")
	defer func() { hostsFile = "/etc/hosts" }()
	if err := os.WriteFile(hostsFile, []byte("# c\n127.0.0.1 localhost  # x\n192.0.2.9 cache.test cache\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := &State{Hostname: "abc", Name: "web", Mode: "bridge", Attachments: []Attachment{{IP: "10.89.0.5"}, {IP: "10.90.0.7"}}}
	want := "10.0.0.9\tdb\n127.0.0.1\tlocalhost\n192.0.2.9\tcache.test cache\n10.89.0.1\thost.containers.internal\n10.89.0.5\tabc web\n10.90.0.7\tabc web\n"
	if got := hostsBase(st, []string{"db:10.0.0.9"}, "10.89.0.1"); got != want {
		t.Errorf("hostsBase:\n%s\nwant\n%s", got, want)
	}
	got := hostsBase(st, []string{"db:10.0.0.9"}, "10.89.0.1")
	for _, w := range []string{"127.0.0.1\tlocalhost", "10.0.0.9\tdb\n", "10.89.0.5\tabc web\n", "10.89.0.1\thost.containers.internal\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("hosts lacks %q:\n%s", w, got)
		}
	}
	if got := hostsBase(st, []string{"host.containers.internal:10.1.2.3"}, "10.89.0.1"); strings.Count(got, "host.containers.internal") != 1 {
		t.Errorf("--add-host host.containers.internal is not the only entry:\n%s", got)
	}
	if _, err := ParseAddHost("nohost"); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("ParseAddHost without IP: %v", err)
	}
}
