package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Differences from podman 4.3 found by a side-by-side audit of the network
// commands, each pinned by the test that failed before its fix.

// TestAuditNetworkPerNetworkOptions: podman's --network NAME:ip=,mac=,alias=,
// interface_name= and --network A,B (two networks in one value).
func TestAuditNetworkPerNetworkOptions(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		a, b := uniq("pa"), uniq("pb")
		pa, pb := randomPrefix(), randomPrefix()
		e.Must(t, "network", "create", "--subnet", pa+".0/24", a)
		e.Must(t, "network", "create", "--subnet", pb+".0/24", b)
		runDetached(t, e, "--name", "srv", "--network", a+":alias=web1,alias=web2", "--network", b, img, "sleep", "300")
		out := e.Must(t, "run", "--rm", "--network", a+":ip="+pa+".50,mac=02:42:ac:11:00:42,interface_name=net0", "--network", b+":alias=x",
			img, "sh", "-c", "ip -o -4 addr show net0; ip -o link show net0; ip -o -4 addr show eth0; ping -c1 -W2 web2 >/dev/null && echo web2 ok")
		for _, w := range []string{pa + ".50/24", "02:42:ac:11:00:42", pb + ".", "web2 ok"} {
			if !strings.Contains(out, w) {
				t.Errorf("[%s] --network %s:ip=...,interface_name=net0 --network %s: output lacks %q:\n%s", e.Mode(), a, b, w, out)
			}
		}
		out = e.Must(t, "run", "--rm", "--name", "two", "--network", a+","+b, img, "sh", "-c", "ip -o -4 addr; cat /etc/hosts")
		if !strings.Contains(out, "eth0") || !strings.Contains(out, "eth1") || !strings.Contains(out, pb+".") {
			t.Errorf("[%s] --network %s,%s: %q, want eth0 and eth1", e.Mode(), a, b, out)
		}
		// Its /etc/hosts names it at both addresses, as podman's.
		if !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(pa)+`\.\d+\t.*\btwo\b`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(pb)+`\.\d+\t.*\btwo\b`).MatchString(out) {
			t.Errorf("[%s] --network %s,%s: /etc/hosts does not name the container at both addresses:\n%s", e.Mode(), a, b, out)
		}
		e.Must(t, "rm", "-f", "srv")
		wantError(t, e, e.Run("run", "--rm", "--network", a+":bogus=1", img, "true"), 125, false, "unknown bridge network option: bogus")
		wantError(t, e, e.Run("run", "--rm", "--network", a+":ip=10.1.1.1", img, "true"), 125, false, "10.1.1.1")
		noContainers(t, e, "bad per-network options")
	})
}

// TestAuditNetworkHostEntry: podman names the host host.containers.internal in
// every container's /etc/hosts: a bridge network's gateway, else the host's own
// address (none, host); an --add-host of that name replaces it.
func TestAuditNetworkHostEntry(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n, pre := uniq("he"), randomPrefix()
		e.Must(t, "network", "create", "--subnet", pre+".0/24", n)
		hosts := e.Must(t, "run", "--rm", "--network", n, img, "cat", "/etc/hosts")
		if !strings.Contains(hosts, pre+".1\thost.containers.internal\n") {
			t.Errorf("[%s] /etc/hosts on %s lacks %s.1 host.containers.internal:\n%s", e.Mode(), n, pre, hosts)
		}
		hosts = e.Must(t, "run", "--rm", "--network", n, "--add-host", "host.containers.internal:10.1.2.3", img, "cat", "/etc/hosts")
		if strings.Count(hosts, "host.containers.internal") != 1 || !strings.Contains(hosts, "10.1.2.3\thost.containers.internal") {
			t.Errorf("[%s] --add-host host.containers.internal:10.1.2.3 is not the only entry:\n%s", e.Mode(), hosts)
		}
		for _, mode := range []string{"none", "host"} {
			hosts = e.Must(t, "run", "--rm", "--network", mode, img, "cat", "/etc/hosts")
			if strings.Count(hosts, "host.containers.internal") != 1 {
				t.Errorf("[%s] --network %s: /etc/hosts has no single host.containers.internal:\n%s", e.Mode(), mode, hosts)
			}
		}
		// The host's own entries are the base of the file, as in podman.
		hostFile, _ := os.ReadFile("/etc/hosts")
		for _, mode := range []string{"none", n} {
			hosts = e.Must(t, "run", "--rm", "--network", mode, img, "cat", "/etc/hosts")
			for _, line := range strings.Split(string(hostFile), "\n") {
				line, _, _ = strings.Cut(line, "#")
				if f := strings.Fields(line); len(f) > 1 && !strings.Contains(hosts, f[0]+"\t"+strings.Join(f[1:], " ")+"\n") {
					t.Errorf("[%s] --network %s: /etc/hosts lacks the host's entry %q:\n%s", e.Mode(), mode, line, hosts)
				}
			}
		}
	})
}

// TestAuditNetworkPublishAllAndPublish: -P leaves the ports that -p publishes to
// -p (podman: one mapping each), and a bad -p says "invalid argument" once.
func TestAuditNetworkPublishAllAndPublish(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		tarball := filepath.Join(e.Base, "rootfs.tar")
		if err := testutil.BusyboxRootfsTarball(tarball); err != nil {
			t.Fatal(err)
		}
		e.Must(t, "import", "-c", "EXPOSE 80", "-c", "EXPOSE 81", "-c", `CMD ["sh"]`, tarball, "exposed2")
		port := hostPort(t)
		runDetached(t, e, "--name", "pp", "-P", "-p", "127.0.0.1:"+port+":80", "exposed2", "sleep", "300")
		out := e.Must(t, "port", "pp")
		if !regexp.MustCompile(`^80/tcp -> 127\.0\.0\.1:` + port + `\n81/tcp -> 0\.0\.0\.0:\d+$`).MatchString(out) {
			t.Errorf("[%s] port of -P -p 127.0.0.1:%s:80: %q, want 80 once (the -p one) and 81", e.Mode(), port, out)
		}
		res := e.Run("run", "--rm", "-p", "80:abc", img, "true")
		wantError(t, e, res, 125, false, "80:abc")
		if strings.Contains(res.Stderr, "invalid argument: invalid argument") {
			t.Errorf("[%s] -p 80:abc: %q repeats \"invalid argument\"", e.Mode(), res.Stderr)
		}
	})
}

// TestAuditNetworkTemplatesAndFilters: network inspect's and ls's templates use
// podman's Go field names; ls takes label!, until and dangling; prune takes
// --filter and asks without -f.
func TestAuditNetworkTemplatesAndFilters(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		a, b, pre := uniq("ta"), uniq("tb"), randomPrefix()
		e.Must(t, "network", "create", "--subnet", pre+".0/24", "--ip-range", pre+".128/25", "--label", "k=v", "--label", "o", a)
		e.Must(t, "network", "create", "--label", "k=w", b)
		wantOut(t, e, e.Run("network", "inspect", "--format",
			"{{.Name}} {{.Driver}} {{range .Subnets}}{{.Subnet}} {{.Gateway}} {{.LeaseRange.StartIP}}{{end}} {{.Internal}} {{.DNSEnabled}} {{index .Labels \"k\"}} {{.IPAMOptions.driver}}", a),
			a+" bridge "+pre+".0/24 "+pre+".1 "+pre+".129 false false v host-local\n")
		wantOut(t, e, e.Run("network", "ls", "--filter", "name=^"+a+"$", "--format", "{{.Name}} {{.Labels}} {{.DNSEnabled}} {{.IPv6Enabled}} {{.Internal}}"),
			a+" k=v,o= false false false\n")
		wantOut(t, e, e.Run("network", "ls", "-q", "--filter", "label=k", "--filter", "label!=o"), b+"\n")
		wantOut(t, e, e.Run("network", "ls", "-q", "--filter", "label=k", "--filter", "until=1h"), "")
		runDetached(t, e, "--name", "user", "--network", a, img, "sleep", "300")
		wantOut(t, e, e.Run("network", "ls", "-q", "--filter", "label=k", "--filter", "dangling=true"), b+"\n")
		wantOut(t, e, e.Run("network", "ls", "-q", "--filter", "dangling=false"), "engine\n"+a+"\n")
		wantError(t, e, e.Run("network", "ls", "--filter", "bogus=1"), 125, false, "bogus")

		// prune: asks (nothing on a "no"), filters, and never takes a used network.
		res := e.RunStdin(strings.NewReader("n\n"), "network", "prune")
		if res.Code != 0 || !strings.Contains(res.Stdout, "Are you sure") {
			t.Errorf("[%s] network prune answered n: %s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("network", "prune", "-f", "--filter", "label=k=nope"), "")
		wantError(t, e, e.Run("network", "prune", "-f", "--filter", "name=x"), 125, false, "name=x")
		wantOut(t, e, e.Run("network", "ls", "-q", "--filter", "label=k"), a+"\n"+b+"\n")
		wantOut(t, e, e.Run("network", "prune", "-f", "--filter", "label=k"), b+"\n")
		// port's error names the port as asked.
		wantError(t, e, e.Run("port", "user", "99"), 125, false, `published port "99"`)
	})
}

// TestAuditNetworkCreateOptions: network create -o takes podman's options per
// driver (bridge: mtu, vlan; macvlan: parent, mode, mtu) and refuses the rest
// instead of ignoring them; -o mtu reaches the containers; macvlan needs a subnet.
func TestAuditNetworkCreateOptions(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n := uniq("mtu")
		e.Must(t, "network", "create", "-o", "mtu=1280", n)
		wantOut(t, e, e.Run("network", "inspect", "--format", "{{.Options.mtu}}", n), "1280\n")
		if out := e.Must(t, "run", "--rm", "--network", n, img, "ip", "-o", "link", "show", "eth0"); !strings.Contains(out, "mtu 1280") {
			t.Errorf("[%s] -o mtu=1280: eth0 %q", e.Mode(), out)
		}
		before := e.Must(t, "network", "ls", "-q")
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"-o", "bogus=1"}, "unsupported bridge network option bogus"},
			{[]string{"-o", "mtu=abc"}, "abc"},
			{[]string{"-o", "vlan=5000"}, "5000"},
			{[]string{"-o", "mode=bridge"}, "unsupported bridge network option mode"},
			{[]string{"-d", "macvlan", "-o", "mode=bogus", "--subnet", randomPrefix() + ".0/24"}, "bogus"},
			{[]string{"-d", "macvlan", "-o", "vlan=3", "--subnet", randomPrefix() + ".0/24"}, "unsupported macvlan network option vlan"},
			{[]string{"-d", "macvlan", "-o", "parent=lo"}, "subnet"},
		} {
			wantError(t, e, e.Run(append(append([]string{"network", "create"}, c.args...), uniq("bad"))...), 125, false, c.want)
		}
		if after := e.Must(t, "network", "ls", "-q"); after != before {
			t.Errorf("[%s] bad -o created networks:\nbefore %q\nafter  %q", e.Mode(), before, after)
		}
		// macvlan's parent is the network's interface, as in podman, not an option.
		mv := uniq("mvo")
		e.Must(t, "network", "create", "-d", "macvlan", "-o", "parent=lo", "-o", "mode=private", "--subnet", randomPrefix()+".0/24", mv)
		wantOut(t, e, e.Run("network", "inspect", "--format", "{{.NetworkInterface}} {{.Options}}", mv), "lo map[mode:private]\n")
		e.Must(t, "network", "rm", mv) // the leak check takes interfaces for bridges
	})
}

// TestAuditNetworkSetupErrorShown: when CNI ADD fails (here: the parent of a
// macvlan network is gone), the error says so in one line, not runc's "failed to
// open .../netns" (the failed setup used to remove the netns the container was
// being created in, a race), and nothing is left. A macvlan parent that does not
// exist is refused at create, as podman does.
func TestAuditNetworkSetupErrorShown(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		if !macvlanPlugin() {
			t.Skip("no macvlan CNI plugin in CNI_PATH or the usual CNI directories")
		}
		img := netSetup(t, e)
		parent := fmt.Sprintf("eda%d", time.Now().UnixNano()%1000000)
		if out, err := exec.Command("ip", "link", "add", parent, "type", "veth", "peer", "name", parent+"p").CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", parent).Run() })
		n := uniq("gone")
		e.Must(t, "network", "create", "-d", "macvlan", "-o", "parent="+parent, "--subnet", randomPrefix()+".0/24", n)
		if out, err := exec.Command("ip", "link", "del", parent).CombinedOutput(); err != nil {
			t.Fatalf("ip link del: %v: %s", err, out)
		}
		for i := 0; i < 6; i++ {
			res := e.Run("run", "--rm", "--network", n, img, "true")
			wantError(t, e, res, 125, false, "setting up network "+n)
		}
		wantError(t, e, e.Run("network", "create", "-d", "macvlan", "-o", "parent="+parent, "--subnet", randomPrefix()+".0/24", uniq("nop")),
			125, false, "parent interface "+parent+" does not exist")
		noContainers(t, e, "failed network setups")
		for _, m := range storeMounts(t, e) {
			t.Errorf("[%s] mount left by a failed run: %s", e.Mode(), m)
		}
		e.Must(t, "network", "rm", n)
	})
}

// TestAuditNetworkPortsReported: random host ports are picked at create, as in
// podman, so ps and inspect show them before the start and after the exit (they
// showed port 0); `port` prints only a running container's ports; ps merges
// consecutive ports into ranges and inspect's aliases come before the short id.
func TestAuditNetworkPortsReported(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		a, b := hostPort(t), hostPort(t)
		e.Must(t, "create", "--name", "c", "-p", "127.0.0.1::82", "-p", "127.0.0.1:"+a+":80", img, "sleep", "300")
		psBefore := e.Must(t, "ps", "-a", "--format", "{{.Ports}}")
		m := regexp.MustCompile(`^127\.0\.0\.1:` + a + `->80/tcp, 127\.0\.0\.1:(\d+)->82/tcp$`).FindStringSubmatch(psBefore)
		if m == nil || m[1] == "0" {
			t.Fatalf("[%s] ps PORTS of a created container: %q, want 127.0.0.1:%s->80/tcp and a picked port for 82", e.Mode(), psBefore, a)
		}
		wantOut(t, e, e.Run("inspect", "--format", "{{json .NetworkSettings.Ports}}", "c"),
			`{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"`+a+`"}],"82/tcp":[{"HostIp":"127.0.0.1","HostPort":"`+m[1]+`"}]}`+"\n")
		wantOut(t, e, e.Run("port", "c"), "")
		e.Must(t, "start", "c")
		wantOut(t, e, e.Run("port", "c", "82"), "127.0.0.1:"+m[1]+"\n")
		e.Must(t, "stop", "-t", "0", "c")
		if got := e.Must(t, "ps", "-a", "--format", "{{.Ports}}"); got != psBefore {
			t.Errorf("[%s] ps PORTS after the exit: %q, want %q", e.Mode(), got, psBefore)
		}
		e.Must(t, "rm", "c")

		// Consecutive ports are one range, as podman's PORTS and ps --format json.
		e.Must(t, "create", "--name", "r", "--network-alias", "al", img, "true")
		lo, _ := strconv.Atoi(b)
		if lo > 65000 {
			lo = 40000
		}
		e.Must(t, "create", "--name", "rr", "-p", fmt.Sprintf("%d-%d:90-91", lo, lo+1), "-p", fmt.Sprintf("%d:92", lo+2), img, "true")
		wantOut(t, e, e.Run("ps", "-a", "--filter", "name=rr", "--format", "{{.Ports}}"), fmt.Sprintf("0.0.0.0:%d-%d->90-92/tcp\n", lo, lo+2))
		// An explicit 0.0.0.0 is stored as no address, as podman does.
		e.Must(t, "create", "--name", "any", "-p", fmt.Sprintf("0.0.0.0:%d:80", lo), "-p", fmt.Sprintf("%d:81", lo+1), img, "true")
		wantOut(t, e, e.Run("inspect", "--format", "{{json .NetworkSettings.Ports}}", "any"),
			fmt.Sprintf(`{"80/tcp":[{"HostIp":"","HostPort":"%d"}],"81/tcp":[{"HostIp":"","HostPort":"%d"}]}`+"\n", lo, lo+1))
		wantOut(t, e, e.Run("ps", "-a", "--filter", "name=any", "--format", "{{.Ports}}"), fmt.Sprintf("0.0.0.0:%d-%d->80-81/tcp\n", lo, lo+1))
		var list []struct {
			Ports []struct {
				HostPort uint16 `json:"host_port"`
				Range    uint16 `json:"range"`
			}
		}
		if err := json.Unmarshal([]byte(e.Must(t, "ps", "-a", "--filter", "name=rr", "--format", "json")), &list); err != nil ||
			len(list) != 1 || len(list[0].Ports) != 1 || list[0].Ports[0].Range != 3 {
			t.Errorf("[%s] ps --format json Ports of -p %d-%d:90-91 -p %d:92: %v %+v, want one entry of range 3", e.Mode(), lo, lo+1, lo+2, err, list)
		}
		wantOut(t, e, e.Run("inspect", "--format", `{{(index .NetworkSettings.Networks "engine").Aliases}} {{.NetworkSettings.GlobalIPv6Address}}|`, "r"),
			"[al "+e.Must(t, "inspect", "--format", "{{.Id}}", "r")[:12]+"] |\n")
	})
}

// TestAuditNetworkContainerModeEtc: a --network container:NAME container uses
// NAME's /etc/hosts and resolv.conf (podman, docker), so it resolves NAME's peers,
// also those that join later; --dns and --add-host conflict with that mode.
func TestAuditNetworkContainerModeEtc(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n := uniq("cm")
		e.Must(t, "network", "create", n)
		runDetached(t, e, "--name", "main", "--network", n, img, "sleep", "300")
		runDetached(t, e, "--name", "side", "--network", "container:main", img, "sleep", "300")
		runDetached(t, e, "--name", "late", "--network", n, "--network-alias", "latecomer", img, "sleep", "300")
		if res := e.Run("exec", "side", "ping", "-c1", "-W2", "latecomer"); res.Code != 0 {
			t.Errorf("[%s] container:main cannot resolve main's peer: %s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("exec", "side", "cat", "/etc/resolv.conf"), e.Must(t, "exec", "main", "cat", "/etc/resolv.conf")+"\n")
		wantError(t, e, e.Run("run", "--rm", "--network", "container:main", "--dns", "10.1.1.1", img, "true"), 125, false, "dns")
		wantError(t, e, e.Run("run", "--rm", "--network", "container:main", "--add-host", "a:10.1.1.1", img, "true"), 125, false, "host")
	})
}

// TestAuditNetworkCreateUnnamed: network create without a name makes engineN,
// the first free N (podman: podmanN), and prints it.
func TestAuditNetworkCreateUnnamed(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		netSetup(t, e)
		wantOut(t, e, e.Run("network", "create"), "engine1\n")
		wantOut(t, e, e.Run("network", "create"), "engine2\n")
		e.Must(t, "network", "rm", "engine1")
		wantOut(t, e, e.Run("network", "create"), "engine1\n")
		wantError(t, e, e.Run("network", "create", "a", "b"), 125, false, "one network name")
		e.Must(t, "network", "rm", "engine1", "engine2")
	})
}

// TestAuditNetworkJSONTemplate: --format '{{json .}}' is podman's other spelling
// of --format json for network ls and inspect (the list, with the JSON names).
func TestAuditNetworkJSONTemplate(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		netSetup(t, e)
		n := uniq("js")
		e.Must(t, "network", "create", n)
		for _, args := range [][]string{{"network", "ls", "--filter", "name=^" + n + "$"}, {"network", "inspect", n}} {
			var list []struct {
				Name string `json:"name"`
				ID   string `json:"id"`
			}
			out := e.Must(t, append(args, "--format", "{{json .}}")...)
			if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Name != n || !hex64.MatchString(list[0].ID) {
				t.Errorf("[%s] %v --format '{{json .}}': %v\n%s", e.Mode(), args, err, out)
			}
		}
	})
}

// TestAuditNetworkExpose: --expose (podman's) adds exposed ports, which -P
// publishes, and inspect lists exposed ports that are not published as null.
func TestAuditNetworkExpose(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		e.Must(t, "create", "--name", "x", "--expose", "90-91/udp", "--expose", "92", img, "true")
		wantOut(t, e, e.Run("inspect", "--format", "{{json .NetworkSettings.Ports}}", "x"), `{"90/udp":null,"91/udp":null,"92/tcp":null}`+"\n")
		e.Must(t, "create", "--name", "y", "--expose", "92", "-P", img, "true")
		if out := e.Must(t, "inspect", "--format", "{{json .NetworkSettings.Ports}}", "y"); !regexp.MustCompile(`^\{"92/tcp":\[\{"HostIp":"","HostPort":"[1-9]\d*"\}\]\}$`).MatchString(out) {
			t.Errorf("[%s] --expose 92 -P: inspect Ports %s, want 92/tcp published", e.Mode(), out)
		}
		wantError(t, e, e.Run("create", "--expose", "80:80", img, "true"), 125, false, "--expose")
	})
}
