package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Networking through CNI (root) and slirp4netns (rootless). Every test checks, after
// `rm -a -f`, that no veth, bridge, netns mount, IPAM lease, iptables rule or
// slirp4netns process of its store is left. Traffic goes only to loopback and to
// the bridges and namespaces the tests create.

// httpdCmd serves "hello from NAME" on port 80 with busybox httpd.
func httpdCmd(name string) []string {
	return []string{"sh", "-c", "mkdir -p /www && echo hello from " + name + " > /www/index.html && exec httpd -f -p 80 -h /www"}
}

// netSetup is ctrSetup plus the network leak check, which runs after ctrSetup's
// `rm -a -f` (cleanups run last-registered first).
func netSetup(t *testing.T, e *testutil.Engine) string {
	t.Helper()
	t.Cleanup(func() { netLeakCheck(t, e) })
	return ctrSetup(t, e)
}

// storeBridges are the bridges and subnets of e's network configs.
func storeBridges(t *testing.T, e *testutil.Engine) (bridges, subnets []string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.Root, "engine", "networks", "*.conflist"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var c struct {
			Args struct {
				Engine struct {
					Iface   string `json:"network_interface"`
					Subnets []struct {
						Subnet string `json:"subnet"`
					} `json:"subnets"`
				} `json:"engine"`
			} `json:"args"`
		}
		if json.Unmarshal(b, &c) != nil {
			continue
		}
		bridges = append(bridges, c.Args.Engine.Iface)
		for _, s := range c.Args.Engine.Subnets {
			subnets = append(subnets, s.Subnet)
		}
	}
	return bridges, subnets
}

// netLeakCheck fails the test if anything of e's networking outlived its containers.
func netLeakCheck(t *testing.T, e *testutil.Engine) {
	t.Helper()
	bridges, subnets := storeBridges(t, e)
	for _, br := range bridges {
		// The kernel destroys a netns's veths in the background: give it a moment.
		var out []byte
		eventually(3*time.Second, func() bool {
			out, _ = exec.Command("ip", "-o", "link", "show", "master", br).CombinedOutput()
			_, err := net.InterfaceByName(br)
			return err != nil
		})
		if strings.TrimSpace(string(out)) != "" && !strings.Contains(string(out), "does not exist") {
			t.Errorf("[%s] interfaces left on bridge %s:\n%s", e.Mode(), br, out)
		}
		if _, err := net.InterfaceByName(br); err == nil {
			t.Errorf("[%s] bridge %s left with no container on it", e.Mode(), br)
		}
	}
	for _, leak := range netfilterLeaks(subnets) {
		t.Errorf("[%s] %s", e.Mode(), leak)
	}
	leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", "*", "*.*.*.*"))
	if len(leases) > 0 {
		t.Errorf("[%s] IPAM leases left: %v", e.Mode(), leases)
	}
	if procs := slirpProcs(e); len(procs) > 0 {
		t.Errorf("[%s] slirp4netns processes left: %v", e.Mode(), procs)
	}
}

// netfilterLeaks lists the iptables rules (iptables-save) and nftables rules (nft
// list ruleset: the masquerade and portmap tables) that name an address of one of
// subnets (IPv4 /24s).
func netfilterLeaks(subnets []string) []string {
	var out []string
	scan := func(tool string, args []string, isRule func(string) bool) {
		b, err := exec.Command(tool, args...).Output()
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			for _, s := range subnets {
				prefix := s[:strings.LastIndexByte(s, '.')+1] // "10.89.3."
				if isRule(line) && strings.Contains(line, prefix) {
					out = append(out, fmt.Sprintf("%s rule of subnet %s left: %s", tool, s, strings.TrimSpace(line)))
				}
			}
		}
	}
	scan("iptables-save", nil, func(l string) bool { return strings.HasPrefix(l, "-A") })
	// iptables-nft's own tables show in both; only engine's nft tables count here.
	var table string
	scan("nft", []string{"list", "ruleset"}, func(l string) bool {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "table" {
			table = f[1] + " " + f[2]
		}
		return table != "ip nat" && table != "ip filter" && table != "ip6 nat" && table != "ip6 filter" &&
			!strings.HasPrefix(strings.TrimSpace(l), "table ")
	})
	return out
}

// slirpProcs lists slirp4netns processes serving a netns under e's directory.
func slirpProcs(e *testutil.Engine) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || !pidAlive(pid) {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		argv0, _, _ := strings.Cut(string(cmd), "\x00")
		if filepath.Base(argv0) == "slirp4netns" && strings.Contains(string(cmd), e.Base) {
			out = append(out, fmt.Sprint(pid))
		}
	}
	return out
}

// httpGet fetches url from the host, retrying for a few seconds while the server
// starts; it returns the body of the first 200.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return string(body)
		}
		last = resp.Status
	}
	t.Fatalf("GET %s: no 200 within 10s: %s", url, last)
	return ""
}

// hostPort is a TCP port free on 127.0.0.1 at the time of the call.
func hostPort(t *testing.T) string {
	t.Helper()
	addr := testutil.FreeAddr(t)
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

// hostAddr is a non-loopback IPv4 address of the host (not of a bridge), or "".
func hostAddr() string {
	ifs, _ := net.Interfaces()
	for _, itf := range ifs {
		if itf.Flags&net.FlagLoopback != 0 || itf.Flags&net.FlagUp == 0 || strings.HasPrefix(itf.Name, "engine") || strings.HasPrefix(itf.Name, "veth") {
			continue
		}
		addrs, _ := itf.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return ""
}

// rootOnly runs fn as root; CNI networks need root (rootless uses slirp4netns,
// covered by TestNetworkRootless).
func rootOnly(t *testing.T, fn func(t *testing.T, e *testutil.Engine)) {
	t.Helper()
	requireIntegration(t)
	t.Parallel()
	fn(t, testutil.NewEngine(t, nil))
}

// randomPrefix is "10.A.B" for a /24 that no other test (of this or a parallel
// run, whose stores' claims would refuse it) is likely to pick.
func randomPrefix() string {
	return fmt.Sprintf("10.%d.%d", 150+rand.IntN(100), rand.IntN(256))
}

// uniq is a network name unique to this test run.
func uniq(s string) string {
	return fmt.Sprintf("%s%d", s, time.Now().UnixNano()%100000)
}

func TestNetworkUserNetworkByName(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		net1 := uniq("net")
		wantOut(t, e, e.Run("network", "create", net1), net1+"\n")
		if got := e.Must(t, "network", "ls", "--format", "{{.Name}}", "--filter", "name=^"+net1+"$"); got != net1 {
			t.Errorf("[%s] network ls --filter name=%s: %q", e.Mode(), net1, got)
		}
		if res := e.Run("network", "exists", net1); res.Code != 0 {
			t.Errorf("[%s] network exists %s: %s", e.Mode(), net1, res)
		}
		var nets []struct {
			Name    string `json:"name"`
			ID      string `json:"id"`
			Driver  string `json:"driver"`
			Iface   string `json:"network_interface"`
			Subnets []struct {
				Subnet, Gateway string
			} `json:"subnets"`
		}
		if err := json.Unmarshal([]byte(e.Must(t, "network", "inspect", net1)), &nets); err != nil || len(nets) != 1 {
			t.Fatalf("[%s] network inspect %s: %v %+v", e.Mode(), net1, err, nets)
		}
		if n := nets[0]; n.Driver != "bridge" || !hex64.MatchString(n.ID) || len(n.Subnets) != 1 || n.Subnets[0].Gateway == "" || n.Iface == "" {
			t.Errorf("[%s] network inspect: %+v", e.Mode(), n)
		}

		runDetached(t, e, append([]string{"--name", "srv", "--network", net1, "--network-alias", "web", img}, httpdCmd("srv")...)...)
		runDetached(t, e, "--name", "cli", "--network", net1, img, "sleep", "300")
		for _, host := range []string{"srv", "web"} {
			var res testutil.Result
			if !eventually(10*time.Second, func() bool {
				res = e.Run("exec", "cli", "wget", "-q", "-O", "-", "http://"+host+"/")
				return res.Code == 0
			}) || res.Stdout != "hello from srv\n" {
				t.Errorf("[%s] wget http://%s/ from cli: %s", e.Mode(), host, res)
			}
		}
		// A container that joins later is seen by the running ones (hosts kept current).
		runDetached(t, e, "--name", "late", "--network", net1, img, "sleep", "300")
		if res := e.Run("exec", "srv", "ping", "-c", "1", "-W", "2", "late"); res.Code != 0 {
			t.Errorf("[%s] srv cannot reach the later container by name: %s", e.Mode(), res)
		}
		// One that leaves disappears from the others' /etc/hosts.
		e.Must(t, "rm", "-f", "late")
		if hosts := e.Must(t, "exec", "srv", "cat", "/etc/hosts"); regexp.MustCompile(`\slate\b`).MatchString(hosts) {
			t.Errorf("[%s] /etc/hosts of srv still names a removed container:\n%s", e.Mode(), hosts)
		}
		// The network is in use: rm refuses, rm -f removes its containers too.
		res := e.Run("network", "rm", net1)
		wantError(t, e, res, 125, false, "associated containers", "in use", "being used")
		wantOut(t, e, e.Run("network", "rm", "-f", net1), net1+"\n")
		noContainers(t, e, "network rm -f")
		if res := e.Run("network", "exists", net1); res.Code != 1 {
			t.Errorf("[%s] network exists after rm: %s", e.Mode(), res)
		}
	})
}

func TestNetworkPublish(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		port := hostPort(t)
		runDetached(t, e, append([]string{"--name", "web", "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("web")...)...)
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from web\n" {
			t.Errorf("[%s] GET published port: %q", e.Mode(), got)
		}
		wantOut(t, e, e.Run("port", "web"), "80/tcp -> 127.0.0.1:"+port+"\n")
		wantOut(t, e, e.Run("port", "web", "80"), "127.0.0.1:"+port+"\n")
		if got := e.Must(t, "ps", "--format", "{{.Ports}}"); got != "127.0.0.1:"+port+"->80/tcp" {
			t.Errorf("[%s] ps PORTS: %q", e.Mode(), got)
		}
		// The default network: its own bridge and subnet, not podman's.
		ip := e.Must(t, "inspect", "--format", "{{.NetworkSettings.IPAddress}}", "web")
		if !strings.HasPrefix(ip, "10.89.") {
			t.Errorf("[%s] IP on the default network %q, want 10.89.x.x", e.Mode(), ip)
		}
		// The port is taken now: a second container cannot have it, and leaves nothing.
		res := e.Run("run", "-d", "--name", "web2", "-p", "127.0.0.1:"+port+":80", img, "sleep", "10")
		wantError(t, e, res, 125, false, port)
		e.Run("rm", "-f", "web2")
		e.Must(t, "rm", "-f", "web")

		// Without an address the port answers on loopback and on the host's own
		// addresses.
		all := hostPort(t)
		runDetached(t, e, append([]string{"--name", "any", "-p", all + ":80", img}, httpdCmd("any")...)...)
		urls := []string{"http://127.0.0.1:" + all + "/"}
		if ip := hostAddr(); ip != "" {
			urls = append(urls, "http://"+net.JoinHostPort(ip, all)+"/")
		}
		for _, u := range urls {
			if got := httpGet(t, u); got != "hello from any\n" {
				t.Errorf("[%s] GET %s: %q", e.Mode(), u, got)
			}
		}
		e.Must(t, "rm", "-f", "any")

		// A port some host process holds.
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		held := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		res = e.Run("run", "-d", "--name", "web3", "-p", "127.0.0.1:"+held+":80", img, "sleep", "10")
		wantError(t, e, res, 125, false, held)
		e.Run("rm", "-f", "web3")
	})
}

func TestNetworkPublishAll(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		netSetup(t, e)
		tarball := filepath.Join(e.Base, "rootfs.tar")
		if err := testutil.BusyboxRootfsTarball(tarball); err != nil {
			t.Fatal(err)
		}
		e.Must(t, "import", "-c", "EXPOSE 80", "-c", `CMD ["sh"]`, tarball, "exposed")
		runDetached(t, e, append([]string{"--name", "pa", "-P", "exposed"}, httpdCmd("pa")...)...)
		out := e.Must(t, "port", "pa")
		m := regexp.MustCompile(`^80/tcp -> 0\.0\.0\.0:(\d+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("[%s] port pa: %q, want 80/tcp -> 0.0.0.0:PORT", e.Mode(), out)
		}
		if got := httpGet(t, "http://127.0.0.1:"+m[1]+"/"); got != "hello from pa\n" {
			t.Errorf("[%s] GET -P port %s: %q", e.Mode(), m[1], got)
		}
	})
}

func TestNetworkConnectDisconnect(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		a, b := uniq("na"), uniq("nb")
		e.Must(t, "network", "create", a)
		e.Must(t, "network", "create", b)
		runDetached(t, e, append([]string{"--name", "s", "--network", b, img}, httpdCmd("s")...)...)
		runDetached(t, e, "--name", "c", "--network", a, img, "sleep", "300")
		if res := e.Run("exec", "c", "wget", "-q", "-O", "-", "http://s/"); res.Code == 0 {
			t.Errorf("[%s] c reached s across networks before connect: %s", e.Mode(), res)
		}
		e.Must(t, "network", "connect", b, "c")
		if out := e.Must(t, "exec", "c", "ip", "-o", "-4", "addr", "show", "eth1"); !strings.Contains(out, "inet ") {
			t.Errorf("[%s] no eth1 address after connect: %q", e.Mode(), out)
		}
		var res testutil.Result
		if !eventually(5*time.Second, func() bool {
			res = e.Run("exec", "c", "wget", "-q", "-O", "-", "http://s/")
			return res.Code == 0 && res.Stdout == "hello from s\n"
		}) {
			t.Errorf("[%s] c cannot reach s after connect: %s", e.Mode(), res)
		}
		if got := e.Must(t, "inspect", "--format", "{{len .NetworkSettings.Networks}}", "c"); got != "2" {
			t.Errorf("[%s] inspect c after connect: %s networks, want 2", e.Mode(), got)
		}
		e.Must(t, "network", "disconnect", b, "c")
		if res := e.Run("exec", "c", "ip", "link", "show", "eth1"); res.Code == 0 {
			t.Errorf("[%s] eth1 still there after disconnect: %s", e.Mode(), res)
		}
		if res := e.Run("exec", "c", "wget", "-q", "-O", "-", "http://s/"); res.Code == 0 {
			t.Errorf("[%s] c still reaches s after disconnect: %s", e.Mode(), res)
		}
	})
}

func TestNetworkBadInput(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n := uniq("bad")
		pre := randomPrefix()
		e.Must(t, "network", "create", "--subnet", pre+".0/24", n)
		before := e.Must(t, "network", "ls", "--format", "{{.Name}} {{.Subnets}}")
		cases := []struct {
			args  []string
			wants []string
		}{
			{[]string{"run", "-d", "-p", "80:abc", img, "true"}, []string{"80:abc"}},
			{[]string{"run", "-d", "-p", "1-3:80-81", img, "true"}, []string{"1-3:80-81"}},
			{[]string{"run", "-d", "--network", "nosuchnet", img, "true"}, []string{"nosuchnet"}},
			{[]string{"network", "create", "--subnet", pre + ".128/25", n + "x"}, []string{pre}},
			{[]string{"network", "create", "--subnet", "notacidr", n + "y"}, []string{"notacidr"}},
			{[]string{"network", "create", "a/b"}, []string{"a/b"}},
			{[]string{"network", "create", "host"}, []string{"host"}},
			{[]string{"network", "create", n}, []string{n}},
			{[]string{"network", "rm", "engine"}, []string{"default network"}},
			{[]string{"network", "rm", "nosuchnet"}, []string{"nosuchnet"}},
			{[]string{"network", "inspect", "nosuchnet"}, []string{"nosuchnet"}},
		}
		for _, c := range cases {
			wantError(t, e, e.Run(c.args...), 125, false, c.wants...)
		}
		noContainers(t, e, "bad input")
		if after := e.Must(t, "network", "ls", "--format", "{{.Name}} {{.Subnets}}"); after != before {
			t.Errorf("[%s] networks changed by bad input:\nbefore %s\nafter  %s", e.Mode(), before, after)
		}
		e.Must(t, "network", "rm", n)
	})
}

// TestNetworkKilled kills the monitor and the container with SIGKILL: the next
// command and `network prune` must release every network resource.
func TestNetworkKilled(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n := uniq("nk")
		e.Must(t, "network", "create", n)
		port := hostPort(t)
		runDetached(t, e, append([]string{"--name", "k", "--network", n, "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("k")...)...)
		httpGet(t, "http://127.0.0.1:"+port+"/")
		got := inspectCtr(t, e, "k")
		for _, p := range []int{got.State.ConmonPid, got.State.Pid} {
			_ = syscall.Kill(p, syscall.SIGKILL)
			waitGone(p, 5*time.Second)
		}
		// The engine may see the killed monitor until its zombie is reaped: prune
		// until the container reads as exited (the first command that sees it so
		// reconciles it; prune also releases what no container claims).
		if !eventually(10*time.Second, func() bool {
			e.Must(t, "network", "prune", "-f")
			return e.Must(t, "inspect", "--format", "{{.State.Status}}", "k") == "exited"
		}) {
			t.Fatalf("[%s] k not exited after its monitor and process were killed", e.Mode())
		}
		netLeakCheckNow(t, e, n)
		// The network is still configured (the container still exists) and usable.
		e.Must(t, "start", "k")
		httpGet(t, "http://127.0.0.1:"+port+"/")
	})
}

// netLeakCheckNow checks, while the store's containers still exist but are not
// running, that network n has no lease and no rule left.
func netLeakCheckNow(t *testing.T, e *testutil.Engine, n string) {
	t.Helper()
	if leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", n, "*.*.*.*")); len(leases) > 0 {
		t.Errorf("[%s] IPAM leases left after prune: %v", e.Mode(), leases)
	}
	_, subnets := storeBridges(t, e)
	for _, leak := range netfilterLeaks(subnets) {
		t.Errorf("[%s] after prune: %s", e.Mode(), leak)
	}
	if m := storeMounts(t, e); len(m) > 0 {
		for _, x := range m {
			if strings.HasSuffix(x, "/netns") {
				t.Errorf("[%s] netns mount left after prune: %s", e.Mode(), x)
			}
		}
	}
}

func TestNetworkModes(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		// none: only lo.
		if out := e.Must(t, "run", "--rm", "--network", "none", img, "ip", "-o", "link"); strings.Count(out, "\n") != 0 || !strings.Contains(out, "lo:") {
			t.Errorf("[%s] --network none: links %q, want lo only", e.Mode(), out)
		}
		// host: the host's interfaces.
		if out := e.Must(t, "run", "--rm", "--network", "host", img, "ip", "-o", "link"); strings.Count(out, "\n") < 1 {
			t.Errorf("[%s] --network host: links %q, want the host's", e.Mode(), out)
		}
		// container:NAME shares the other's namespace.
		runDetached(t, e, "--name", "first", img, "sleep", "300")
		a := e.Must(t, "exec", "first", "ip", "-o", "link")
		b := e.Must(t, "run", "--rm", "--network", "container:first", img, "ip", "-o", "link")
		if a != b {
			t.Errorf("[%s] --network container:first sees %q, first sees %q", e.Mode(), b, a)
		}
		// --add-host, --dns, --dns-search.
		out := e.Must(t, "run", "--rm", "--add-host", "db:10.1.2.3", "--dns", "10.9.9.9", "--dns-search", "example.test", img,
			"cat", "/etc/hosts", "/etc/resolv.conf")
		for _, w := range []string{"10.1.2.3\tdb", "nameserver 10.9.9.9", "search example.test"} {
			if !strings.Contains(out, w) {
				t.Errorf("[%s] /etc/hosts + resolv.conf lack %q:\n%s", e.Mode(), w, out)
			}
		}
	})
}

// TestNetworkRootless: slirp4netns gives a rootless container a network and
// published ports that answer on the host's loopback.
func TestNetworkRootless(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, testutil.User(t))
	if fi, err := os.Stat("/dev/net/tun"); err != nil || fi.Mode().Perm()&0o006 != 0o006 {
		if err := os.Chmod("/dev/net/tun", 0o666); err != nil {
			t.Skipf("slirp4netns needs /dev/net/tun usable by the test user: %v", err)
		}
	}
	img := netSetup(t, e)
	port := hostPort(t)
	runDetached(t, e, append([]string{"--name", "rweb", "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("rweb")...)...)
	if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from rweb\n" {
		t.Errorf("[%s] GET published port: %q", e.Mode(), got)
	}
	if out := e.Must(t, "exec", "rweb", "ip", "-o", "-4", "addr", "show", "tap0"); !strings.Contains(out, "10.0.2.100") {
		t.Errorf("[%s] tap0 address: %q, want 10.0.2.100", e.Mode(), out)
	}
	wantOut(t, e, e.Run("port", "rweb"), "80/tcp -> 127.0.0.1:"+port+"\n")
	if len(slirpProcs(e)) != 1 {
		t.Errorf("[%s] want one slirp4netns process while rweb runs, got %v", e.Mode(), slirpProcs(e))
	}
	e.Must(t, "rm", "-f", "rweb")
	if p := slirpProcs(e); len(p) != 0 {
		t.Errorf("[%s] slirp4netns left after rm: %v", e.Mode(), p)
	}
	// A killed monitor: the next command reconciles and stops its slirp4netns.
	runDetached(t, e, "--name", "rk", img, "sleep", "300")
	if len(slirpProcs(e)) != 1 {
		t.Errorf("[%s] want one slirp4netns process while rk runs, got %v", e.Mode(), slirpProcs(e))
	}
	got := inspectCtr(t, e, "rk")
	for _, p := range []int{got.State.ConmonPid, got.State.Pid} {
		_ = syscall.Kill(p, syscall.SIGKILL)
		waitGone(p, 5*time.Second)
	}
	if !eventually(10*time.Second, func() bool {
		return e.Must(t, "inspect", "--format", "{{.State.Status}}", "rk") == "exited" && len(slirpProcs(e)) == 0
	}) {
		t.Errorf("[%s] after its monitor was killed: rk %s, slirp4netns %v", e.Mode(),
			e.Must(t, "inspect", "--format", "{{.State.Status}}", "rk"), slirpProcs(e))
	}
	// macvlan networks need root (rootless bridges: network_rootless_test.go).
	wantError(t, e, e.Run("network", "create", "-d", "macvlan", "x"), 125, false, "root")
}

// TestNetworkOptions: several networks at once, a static IP and MAC, an IP range,
// an internal network, ls formats.
func TestNetworkOptions(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		st, in := uniq("st"), uniq("in")
		pre := randomPrefix() // "10.A.B"
		e.Must(t, "network", "create", "--subnet", pre+".0/24", "--gateway", pre+".1",
			"--ip-range", pre+".128/25", "--label", "team=x", st)
		e.Must(t, "network", "create", "--internal", in)
		if got := e.Must(t, "network", "ls", "-q", "--filter", "label=team=x"); got != st {
			t.Errorf("[%s] network ls -q --filter label=team=x: %q, want %q", e.Mode(), got, st)
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(e.Must(t, "network", "ls", "--format", "json")), &list); err != nil || len(list) != 3 {
			t.Errorf("[%s] network ls --format json: %v, %d networks, want 3 (with the default)", e.Mode(), err, len(list))
		}
		out := e.Must(t, "run", "--rm", "--network", st, "--ip", pre+".200", "--mac-address", "02:42:ac:11:00:99",
			img, "ip", "-o", "addr", "show", "eth0")
		if !strings.Contains(out, pre+".200/24") {
			t.Errorf("[%s] --ip: eth0 %q, want %s.200/24", e.Mode(), out, pre)
		}
		if out := e.Must(t, "run", "--rm", "--network", st, "--mac-address", "02:42:ac:11:00:99", img, "ip", "-o", "link", "show", "eth0"); !strings.Contains(out, "02:42:ac:11:00:99") {
			t.Errorf("[%s] --mac-address: eth0 %q", e.Mode(), out)
		}
		if out := e.Must(t, "run", "--rm", "--network", st, img, "ip", "-o", "-4", "addr", "show", "eth0"); !regexp.MustCompile(regexp.QuoteMeta(pre) + `\.(1[3-9][0-9]|2[0-9][0-9])/24`).MatchString(out) {
			t.Errorf("[%s] --ip-range %s.128/25: eth0 %q", e.Mode(), pre, out)
		}
		out = e.Must(t, "run", "--rm", "--network", st, "--network", in, img, "sh", "-c", "ip -o -4 addr; ip route")
		if !strings.Contains(out, "eth0") || !strings.Contains(out, "eth1") {
			t.Errorf("[%s] two networks: %q, want eth0 and eth1", e.Mode(), out)
		}
		if out := e.Must(t, "run", "--rm", "--network", in, img, "ip", "route"); strings.Contains(out, "default") {
			t.Errorf("[%s] --internal network has a default route: %q", e.Mode(), out)
		}
		wantError(t, e, e.Run("run", "--rm", "--network", st, "--ip", "10.1.1.1", img, "true"), 125, false, "10.1.1.1")
		wantError(t, e, e.Run("run", "--rm", "--network", "none", "-p", "80", img, "true"), 125, false, "publish")
	})
}

// TestNetworkCLIKilled kills `run -d` with SIGKILL at different points of its
// network setup: `network prune` then leaves no lease, netns, veth or rule of the
// containers that did not start, and a second prune changes nothing.
func TestNetworkCLIKilled(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		n := uniq("kc")
		e.Must(t, "network", "create", n)
		for i, delay := range []time.Duration{20, 60, 100, 150, 200, 300, 450} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cmd := command(ctx, e, "run", "-d", "--name", fmt.Sprintf("k%d", i), "--network", n,
				"-p", "127.0.0.1:"+hostPort(t)+":80", img, "sleep", "300")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay * time.Millisecond)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			cancel()
		}
		e.Must(t, "network", "prune", "-f")
		e.Must(t, "network", "prune", "-f")
		var live []string
		for _, c := range psJSON(t, e, "-a") {
			if c.State == "running" {
				live = append(live, c.ID)
			}
		}
		leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", n, "*.*.*.*"))
		t.Logf("[%s] %d of 7 killed runs left a running container", e.Mode(), len(live))
		if len(leases) != len(live) {
			t.Errorf("[%s] %d leases for %d running containers after prune: %v", e.Mode(), len(leases), len(live), leases)
		}
		var netns []string
		for _, m := range storeMounts(t, e) {
			if strings.HasSuffix(m, "/netns") {
				netns = append(netns, m)
			}
		}
		if len(netns) != len(live) {
			t.Errorf("[%s] %d netns mounts for %d running containers after prune: %v", e.Mode(), len(netns), len(live), netns)
		}
	})
}
