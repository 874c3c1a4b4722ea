package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Rootless user networks (netcni/rootlessns.go): an ordinary user's networks live
// in one "rootless netns" per store, reached through one slirp4netns. Every test
// checks, after `rm -a -f`, that no slirp4netns process, netns mount or lease of
// its store is left and that the rootless netns's directory is gone. The bridges
// and rules are inside that netns, so the host's interfaces and rules are not
// looked at (a root test may use the same bridge name on the host).

// rootlessNet runs fn as the rootless test user with a busybox image and the
// rootless network leak check.
func rootlessNet(t *testing.T, fn func(t *testing.T, e *testutil.Engine, img string)) {
	t.Helper()
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, testutil.User(t))
	if fi, err := os.Stat("/dev/net/tun"); err != nil || fi.Mode().Perm()&0o006 != 0o006 {
		if err := os.Chmod("/dev/net/tun", 0o666); err != nil {
			t.Skipf("slirp4netns needs /dev/net/tun usable by the test user: %v", err)
		}
	}
	t.Cleanup(func() { rootlessNetLeakCheck(t, e) })
	fn(t, e, ctrSetup(t, e))
}

// rootlessNetLeakCheck fails the test if e's rootless netns, its slirp4netns, a
// container netns or a lease outlived the containers.
func rootlessNetLeakCheck(t *testing.T, e *testutil.Engine) {
	t.Helper()
	if procs := slirpProcs(e); len(procs) > 0 {
		t.Errorf("[%s] slirp4netns processes left: %v", e.Mode(), procs)
	}
	for _, m := range storeMounts(t, e) {
		if strings.Contains(m, "netns") {
			t.Errorf("[%s] netns mount left: %s", e.Mode(), m)
		}
	}
	if leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", "*", "*.*.*.*")); len(leases) > 0 {
		t.Errorf("[%s] IPAM leases left: %v", e.Mode(), leases)
	}
	if _, err := os.Stat(filepath.Join(e.RunRoot, "engine", "net", "rootless-netns")); err == nil {
		t.Errorf("[%s] rootless netns directory left", e.Mode())
	}
}

// rootlessNetnsMount is the store's rootless netns mount, as storeMounts lists it, or "".
func rootlessNetnsMount(t *testing.T, e *testutil.Engine) string {
	t.Helper()
	for _, m := range storeMounts(t, e) {
		if strings.Contains(m, "rootless-netns/netns") {
			return m
		}
	}
	return ""
}

func TestNetworkRootlessByName(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rn")
		wantOut(t, e, e.Run("network", "create", n), n+"\n")
		if got := e.Must(t, "network", "ls", "--format", "{{.Name}}", "--filter", "name=^"+n+"$"); got != n {
			t.Errorf("[%s] network ls --filter name=%s: %q", e.Mode(), n, got)
		}
		if res := e.Run("network", "exists", n); res.Code != 0 {
			t.Errorf("[%s] network exists %s: %s", e.Mode(), n, res)
		}
		var nets []struct {
			Name    string `json:"name"`
			Driver  string `json:"driver"`
			Subnets []struct{ Subnet, Gateway string }
		}
		if err := json.Unmarshal([]byte(e.Must(t, "network", "inspect", n)), &nets); err != nil || len(nets) != 1 ||
			nets[0].Driver != "bridge" || len(nets[0].Subnets) != 1 || nets[0].Subnets[0].Gateway == "" {
			t.Fatalf("[%s] network inspect %s: %v %+v", e.Mode(), n, err, nets)
		}
		subnet := nets[0].Subnets[0].Subnet
		if rootlessNetnsMount(t, e) != "" {
			t.Errorf("[%s] rootless netns made by network create, before any container", e.Mode())
		}

		runDetached(t, e, append([]string{"--name", "srv", "--network", n, "--network-alias", "web", img}, httpdCmd("srv")...)...)
		runDetached(t, e, "--name", "cli", "--network", n, img, "sleep", "300")
		ip := e.Must(t, "inspect", "--format", "{{.NetworkSettings.Networks."+n+".IPAddress}}", "srv")
		if _, sn, err := net.ParseCIDR(subnet); err != nil || !sn.Contains(net.ParseIP(ip)) {
			t.Errorf("[%s] srv's address %q is not in subnet %s", e.Mode(), ip, subnet)
		}
		for _, host := range []string{"srv", "web"} {
			var res testutil.Result
			if !eventually(10*time.Second, func() bool {
				res = e.Run("exec", "cli", "wget", "-q", "-O", "-", "http://"+host+"/")
				return res.Code == 0
			}) || res.Stdout != "hello from srv\n" {
				t.Errorf("[%s] wget http://%s/ from cli: %s", e.Mode(), host, res)
			}
		}
		if res := e.Run("exec", "srv", "ping", "-c", "1", "-W", "2", "cli"); res.Code != 0 {
			t.Errorf("[%s] ping cli from srv: %s", e.Mode(), res)
		}
		// One rootless netns and one slirp4netns for the store, not one per container.
		if rootlessNetnsMount(t, e) == "" {
			t.Errorf("[%s] no rootless netns mount while containers run: %v", e.Mode(), storeMounts(t, e))
		}
		if p := slirpProcs(e); len(p) != 1 {
			t.Errorf("[%s] want one slirp4netns for two containers, got %v", e.Mode(), p)
		}
		// A container that joins later is seen by the running ones; one that leaves
		// disappears from their /etc/hosts.
		runDetached(t, e, "--name", "late", "--network", n, img, "sleep", "300")
		if res := e.Run("exec", "srv", "ping", "-c", "1", "-W", "2", "late"); res.Code != 0 {
			t.Errorf("[%s] srv cannot reach the later container by name: %s", e.Mode(), res)
		}
		e.Must(t, "rm", "-f", "late")
		if hosts := e.Must(t, "exec", "srv", "cat", "/etc/hosts"); regexp.MustCompile(`\slate\b`).MatchString(hosts) {
			t.Errorf("[%s] /etc/hosts of srv still names a removed container:\n%s", e.Mode(), hosts)
		}
		// --rm on the network, next to the running ones.
		if out := e.Must(t, "run", "--rm", "--network", n, img, "wget", "-q", "-O", "-", "http://web/"); out != "hello from srv" {
			t.Errorf("[%s] run --rm --network %s wget web: %q", e.Mode(), n, out)
		}
		wantError(t, e, e.Run("network", "rm", n), 125, false, "associated containers")
		wantOut(t, e, e.Run("network", "rm", "-f", n), n+"\n")
		noContainers(t, e, "network rm -f")
		// The last container left: the rootless netns and its slirp4netns went with it.
		if m := rootlessNetnsMount(t, e); m != "" {
			t.Errorf("[%s] rootless netns left after its last container: %s", e.Mode(), m)
		}
		if p := slirpProcs(e); len(p) != 0 {
			t.Errorf("[%s] slirp4netns left after the last container: %v", e.Mode(), p)
		}
		// Bad input rootless: one line, nothing made.
		wantError(t, e, e.Run("network", "create", "-d", "macvlan", uniq("mv")), 125, false, "root")
		if out := e.Must(t, "network", "ls", "-q"); out != "" {
			t.Errorf("[%s] networks left: %q", e.Mode(), out)
		}
		// --network bridge: the default network, made by its first container.
		out := e.Must(t, "run", "--rm", "--network", "bridge", img, "ip", "-o", "-4", "addr", "show", "eth0")
		if !strings.Contains(out, "inet 10.89.") {
			t.Errorf("[%s] --network bridge: eth0 %q, want an address in 10.89.0.0/16", e.Mode(), out)
		}
		if out := e.Must(t, "network", "ls", "--format", "{{.Name}}"); out != "engine" {
			t.Errorf("[%s] network ls after --network bridge: %q, want the default network", e.Mode(), out)
		}
		wantError(t, e, e.Run("network", "rm", "engine"), 125, false, "default network")
	})
}

func TestNetworkRootlessPublish(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rp")
		e.Must(t, "network", "create", n)
		port := hostPort(t)
		runDetached(t, e, append([]string{"--name", "web", "--network", n, "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("web")...)...)
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from web\n" {
			t.Errorf("[%s] GET published port: %q", e.Mode(), got)
		}
		wantOut(t, e, e.Run("port", "web"), "80/tcp -> 127.0.0.1:"+port+"\n")
		if got := e.Must(t, "ps", "--format", "{{.Ports}}"); got != "127.0.0.1:"+port+"->80/tcp" {
			t.Errorf("[%s] ps PORTS: %q", e.Mode(), got)
		}
		// Taken by another container, or by a host process: one clear line naming
		// the port, and nothing left.
		res := e.Run("run", "-d", "--name", "web2", "--network", n, "-p", "127.0.0.1:"+port+":80", img, "sleep", "10")
		wantError(t, e, res, 125, false, port)
		e.Run("rm", "-f", "web2")
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		res = e.Run("run", "-d", "--name", "web3", "--network", n, "-p", "127.0.0.1:"+held+":80", img, "sleep", "10")
		l.Close()
		wantError(t, e, res, 125, false, held)
		e.Run("rm", "-f", "web3")
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from web\n" {
			t.Errorf("[%s] GET published port after the failed runs: %q", e.Mode(), got)
		}
		// A second published container on the same rootless netns, port without address.
		all := hostPort(t)
		runDetached(t, e, append([]string{"--name", "any", "--network", n, "-p", all + ":80", img}, httpdCmd("any")...)...)
		if got := httpGet(t, "http://127.0.0.1:"+all+"/"); got != "hello from any\n" {
			t.Errorf("[%s] GET %s: %q", e.Mode(), all, got)
		}
		// rm removes the forward: the host port is free again at once.
		e.Must(t, "rm", "-f", "web")
		if l, err := net.Listen("tcp4", "127.0.0.1:"+port); err != nil {
			t.Errorf("[%s] host port %s still bound after rm: %v", e.Mode(), port, err)
		} else {
			l.Close()
		}
		if got := httpGet(t, "http://127.0.0.1:"+all+"/"); got != "hello from any\n" {
			t.Errorf("[%s] GET %s after the other container left: %q", e.Mode(), all, got)
		}
		// -P: the image's EXPOSE ports on random host ports.
		tarball := filepath.Join(e.Base, "rootfs.tar")
		if err := testutil.BusyboxRootfsTarball(tarball); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(tarball, int(e.User.UID), int(e.User.GID)); err != nil {
			t.Fatal(err)
		}
		e.Must(t, "import", "-c", "EXPOSE 80", "-c", `CMD ["sh"]`, tarball, "exposed")
		runDetached(t, e, append([]string{"--name", "pa", "--network", n, "-P", "exposed"}, httpdCmd("pa")...)...)
		m := regexp.MustCompile(`^80/tcp -> 0\.0\.0\.0:(\d+)$`).FindStringSubmatch(e.Must(t, "port", "pa"))
		if m == nil {
			t.Fatalf("[%s] port pa: want 80/tcp -> 0.0.0.0:PORT", e.Mode())
		}
		if got := httpGet(t, "http://127.0.0.1:"+m[1]+"/"); got != "hello from pa\n" {
			t.Errorf("[%s] GET -P port %s: %q", e.Mode(), m[1], got)
		}
	})
}

func TestNetworkRootlessConnect(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		a, b := uniq("ra"), uniq("rb")
		e.Must(t, "network", "create", a)
		e.Must(t, "network", "create", b)
		runDetached(t, e, append([]string{"--name", "s", "--network", b, img}, httpdCmd("s")...)...)
		runDetached(t, e, "--name", "c", "--network", a, img, "sleep", "300")
		if res := e.Run("exec", "c", "timeout", "5", "wget", "-q", "-O", "-", "http://s/"); res.Code == 0 {
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
		if res := e.Run("exec", "c", "timeout", "5", "wget", "-q", "-O", "-", "http://s/"); res.Code == 0 {
			t.Errorf("[%s] c still reaches s after disconnect: %s", e.Mode(), res)
		}
	})
}

// TestNetworkRootlessKilled kills a container's monitor and process: the next
// command and `network prune` release its network, and with the last container
// the rootless netns and its slirp4netns.
func TestNetworkRootlessKilled(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rk")
		e.Must(t, "network", "create", n)
		port := hostPort(t)
		runDetached(t, e, append([]string{"--name", "k", "--network", n, "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("k")...)...)
		httpGet(t, "http://127.0.0.1:"+port+"/")
		got := inspectCtr(t, e, "k")
		for _, p := range []int{got.State.ConmonPid, got.State.Pid} {
			_ = syscall.Kill(p, syscall.SIGKILL)
			waitGone(p, 5*time.Second)
		}
		if !eventually(10*time.Second, func() bool {
			e.Must(t, "network", "prune", "-f")
			return e.Must(t, "inspect", "--format", "{{.State.Status}}", "k") == "exited"
		}) {
			t.Fatalf("[%s] k not exited after its monitor and process were killed", e.Mode())
		}
		e.Must(t, "network", "prune", "-f")
		rootlessNetLeakCheck(t, e)
		// The network is still there (k still uses it) and works again.
		e.Must(t, "start", "k")
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from k\n" {
			t.Errorf("[%s] GET after restart: %q", e.Mode(), got)
		}
	})
}

// TestNetworkRootlessCLIKilled kills `run -d` with SIGKILL at different points of
// its network setup, the first of which makes the rootless netns: `network prune`
// then leaves no lease or netns of the containers that did not start, and the
// rootless netns and its one slirp4netns only while a container runs.
func TestNetworkRootlessCLIKilled(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rkc")
		e.Must(t, "network", "create", n)
		for i, delay := range []time.Duration{30, 100, 200, 350, 500, 800, 1200} {
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
		t.Logf("[%s] %d of 7 killed runs left a running container", e.Mode(), len(live))
		leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", n, "*.*.*.*"))
		if len(leases) != len(live) {
			t.Errorf("[%s] %d leases for %d running containers after prune: %v", e.Mode(), len(leases), len(live), leases)
		}
		var netns []string
		for _, m := range storeMounts(t, e) {
			if strings.Contains(m, "/netns") && !strings.Contains(m, "rootless-netns") {
				netns = append(netns, m)
			}
		}
		if len(netns) != len(live) {
			t.Errorf("[%s] %d netns mounts for %d running containers after prune: %v", e.Mode(), len(netns), len(live), netns)
		}
		wantSlirps, wantNS := 0, false
		if len(live) > 0 {
			wantSlirps, wantNS = 1, true
		}
		if p := slirpProcs(e); len(p) != wantSlirps {
			t.Errorf("[%s] %d slirp4netns processes for %d running containers: %v", e.Mode(), len(p), len(live), p)
		}
		if got := rootlessNetnsMount(t, e) != ""; got != wantNS {
			t.Errorf("[%s] rootless netns mounted: %v, with %d running containers", e.Mode(), got, len(live))
		}
	})
}

// TestNetworkRootlessConcurrent starts containers on a fresh store at once: they
// share one rootless netns and one slirp4netns, and reach each other.
func TestNetworkRootlessConcurrent(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rcc")
		e.Must(t, "network", "create", n)
		names := []string{"c0", "c1", "c2"}
		errs := make(chan testutil.Result, len(names))
		for _, name := range names {
			go func() {
				errs <- e.Run(append([]string{"run", "-d", "--name", name, "--network", n, img}, httpdCmd(name)...)...)
			}()
		}
		for range names {
			if res := <-errs; res.Code != 0 {
				t.Errorf("[%s] %s", e.Mode(), res)
			}
		}
		if p := slirpProcs(e); len(p) != 1 {
			t.Errorf("[%s] want one slirp4netns for the store, got %v", e.Mode(), p)
		}
		for _, from := range names {
			for _, to := range names {
				if from == to {
					continue
				}
				if out := e.Must(t, "exec", from, "wget", "-q", "-O", "-", "http://"+to+"/"); out != "hello from "+to {
					t.Errorf("[%s] %s -> %s: %q", e.Mode(), from, to, out)
				}
			}
		}
	})
}

// TestNetworkRootlessSlirpKilled kills the store's slirp4netns: the next container
// on a network restarts it, and the running containers' ports answer again.
func TestNetworkRootlessSlirpKilled(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		n := uniq("rsk")
		e.Must(t, "network", "create", n)
		port := hostPort(t)
		runDetached(t, e, append([]string{"--name", "web", "--network", n, "-p", "127.0.0.1:" + port + ":80", img}, httpdCmd("web")...)...)
		httpGet(t, "http://127.0.0.1:"+port+"/")
		procs := slirpProcs(e)
		if len(procs) != 1 {
			t.Fatalf("[%s] want one slirp4netns, got %v", e.Mode(), procs)
		}
		pid, _ := strconv.Atoi(procs[0])
		_ = syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid, 5*time.Second)
		runDetached(t, e, "--name", "next", "--network", n, img, "sleep", "300")
		if p := slirpProcs(e); len(p) != 1 || p[0] == procs[0] {
			t.Errorf("[%s] slirp4netns after the kill and a new container: %v (killed %v)", e.Mode(), p, procs)
		}
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from web\n" {
			t.Errorf("[%s] GET after slirp4netns restarted: %q", e.Mode(), got)
		}
		if out := e.Must(t, "exec", "next", "wget", "-q", "-O", "-", "http://web/"); out != "hello from web" {
			t.Errorf("[%s] next -> web: %q", e.Mode(), out)
		}
	})
}

// TestNetworkRootlessOutbound: a container on a rootless user network reaches a
// server on the host's own address (through the bridge's masquerade in the
// rootless netns, then slirp4netns), and its resolv.conf has a nameserver.
func TestNetworkRootlessOutbound(t *testing.T) {
	rootlessNet(t, func(t *testing.T, e *testutil.Engine, img string) {
		ip := hostAddr()
		if ip == "" {
			t.Skip("the host has no non-loopback IPv4 address")
		}
		l, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hello from the host\n")
		})}
		go func() { _ = srv.Serve(l) }()
		defer srv.Close()
		n := uniq("ro")
		e.Must(t, "network", "create", n)
		out := e.Must(t, "run", "--rm", "--network", n, img, "wget", "-q", "-O", "-", "http://"+l.Addr().String()+"/")
		if out != "hello from the host" {
			t.Errorf("[%s] wget the host's %s from a rootless network: %q", e.Mode(), l.Addr(), out)
		}
		if out := e.Must(t, "run", "--rm", "--network", n, img, "cat", "/etc/resolv.conf"); !strings.Contains(out, "nameserver ") {
			t.Errorf("[%s] resolv.conf without a nameserver:\n%s", e.Mode(), out)
		}
		// A container that exits by itself: its monitor's cleanup releases the
		// rootless netns (it was the last one).
		e.Must(t, "run", "-d", "--name", "short", "--network", n, img, "true")
		if !eventually(10*time.Second, func() bool {
			return e.Must(t, "inspect", "--format", "{{.State.Status}}", "short") == "exited" &&
				len(slirpProcs(e)) == 0 && rootlessNetnsMount(t, e) == ""
		}) {
			t.Errorf("[%s] after the last container exited: slirp4netns %v, rootless netns %q", e.Mode(), slirpProcs(e), rootlessNetnsMount(t, e))
		}
	})
}

// TestNetworkRootlessTwoStores: two stores of the user at once (each its own pause
// process) get a rootless netns each, may use the same bridge and subnet, and
// publish their own ports.
func TestNetworkRootlessTwoStores(t *testing.T) {
	rootlessNet(t, func(t *testing.T, a *testutil.Engine, imgA string) {
		b := testutil.NewEngine(t, testutil.User(t))
		t.Cleanup(func() { rootlessNetLeakCheck(t, b) })
		imgB := ctrSetup(t, b)
		ports := map[*testutil.Engine]string{a: hostPort(t), b: hostPort(t)}
		for e, img := range map[*testutil.Engine]string{a: imgA, b: imgB} {
			e.Must(t, "network", "create", "shared")
			runDetached(t, e, append([]string{"--name", "web", "--network", "shared", "-p", "127.0.0.1:" + ports[e] + ":80", img},
				httpdCmd(e.Base)...)...)
		}
		for _, e := range []*testutil.Engine{a, b} {
			if got := httpGet(t, "http://127.0.0.1:"+ports[e]+"/"); got != "hello from "+e.Base+"\n" {
				t.Errorf("[%s] GET %s of store %s: %q", e.Mode(), ports[e], e.Base, got)
			}
			if p := slirpProcs(e); len(p) != 1 {
				t.Errorf("[%s] store %s: want its own slirp4netns, got %v", e.Mode(), e.Base, p)
			}
		}
	})
}
