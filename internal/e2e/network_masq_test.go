package e2e

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestNetworkMasquerade: a container on the default network reaches a server
// outside the host's bridges (a netns the test makes, behind a veth pair, with no
// route back to the containers' subnet), and the server sees the host's address:
// the egress is masqueraded. The rule is engine's one per network (nat
// POSTROUTING, ! -o BRIDGE), not a chain per container, and it goes with the
// bridge when the last container leaves.
func TestNetworkMasquerade(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		img := netSetup(t, e)
		k := rand.Intn(60) + 1
		hostIP, outIP := fmt.Sprintf("198.51.100.%d", 4*k+1), fmt.Sprintf("198.51.100.%d", 4*k+2)
		ns, veth := uniq("eo"), fmt.Sprintf("eo%d", time.Now().UnixNano()%1000000)
		sh := func(args ...string) {
			t.Helper()
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v: %s", args, err, out)
			}
		}
		sh("ip", "netns", "add", ns)
		t.Cleanup(func() {
			_ = exec.Command("ip", "link", "del", veth).Run()
			_ = exec.Command("ip", "netns", "del", ns).Run()
		})
		sh("ip", "link", "add", veth, "type", "veth", "peer", "name", veth+"o")
		sh("ip", "link", "set", veth+"o", "netns", ns)
		sh("ip", "addr", "add", hostIP+"/30", "dev", veth)
		sh("ip", "link", "set", veth, "up")
		sh("ip", "-n", ns, "addr", "add", outIP+"/30", "dev", veth+"o")
		sh("ip", "-n", ns, "link", "set", veth+"o", "up")
		sh("ip", "-n", ns, "link", "set", "lo", "up")

		ln := listenIn(t, "/run/netns/"+ns, outIP+":0")
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "from %s\n", r.RemoteAddr)
		})}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })

		runDetached(t, e, "--name", "m1", img, "sleep", "300")
		bridges, subnets := storeBridges(t, e)
		if len(bridges) != 1 || len(subnets) != 1 {
			t.Fatalf("[%s] default network: bridges %v, subnets %v", e.Mode(), bridges, subnets)
		}
		rules := natPostrouting(t)
		want := fmt.Sprintf("-A POSTROUTING -s %s ! -d 224.0.0.0/4 ! -o %s", subnets[0], bridges[0])
		if n := strings.Count(rules, want); n != 1 {
			t.Errorf("[%s] %d rules %q in nat POSTROUTING, want 1:\n%s", e.Mode(), n, want, rules)
		}
		prefix := subnets[0][:strings.LastIndexByte(subnets[0], '.')+1] // "10.89.3."
		if perCtr := regexp.MustCompile(`(?m)^-A POSTROUTING -s ` + regexp.QuoteMeta(prefix) + `.* -j CNI-`); perCtr.MatchString(rules) {
			t.Errorf("[%s] a per-container masquerade chain is in nat POSTROUTING:\n%s", e.Mode(), rules)
		}
		url := fmt.Sprintf("http://%s/", ln.Addr())
		if out := e.Must(t, "exec", "m1", "busybox", "timeout", "10", "wget", "-q", "-O", "-", url); !strings.HasPrefix(out, "from "+hostIP+":") {
			t.Errorf("[%s] the server outside saw %q, want the host's %s (masqueraded)", e.Mode(), out, hostIP)
		}
		// (busybox wget's -T crashes this static busybox: busybox timeout instead.)
		// A second container shares the rule; a run --rm on top of it leaves it.
		if out := e.Must(t, "run", "--rm", img, "busybox", "timeout", "10", "wget", "-q", "-O", "-", url); !strings.HasPrefix(out, "from "+hostIP+":") {
			t.Errorf("[%s] run --rm: the server outside saw %q, want %s", e.Mode(), out, hostIP)
		}
		if n := strings.Count(natPostrouting(t), want); n != 1 {
			t.Errorf("[%s] after run --rm next to m1: %d masquerade rules, want 1", e.Mode(), n)
		}
		e.Must(t, "rm", "-f", "m1")
		if rules := natPostrouting(t); strings.Contains(rules, "engine masquerade "+bridges[0]) {
			t.Errorf("[%s] masquerade rule left after the last container:\n%s", e.Mode(), rules)
		}

		// A rule whose bridge is gone (an engine killed between the two) is swept
		// by network prune.
		stale := []string{"-s", "10.250.0.0/24", "!", "-d", "224.0.0.0/4", "!", "-o", "engstale0",
			"-m", "comment", "--comment", "engine masquerade engstale0", "-j", "MASQUERADE"}
		sh(append([]string{"iptables", "-w", "-t", "nat", "-A", "POSTROUTING"}, stale...)...)
		t.Cleanup(func() {
			_ = exec.Command("iptables", append([]string{"-w", "-t", "nat", "-D", "POSTROUTING"}, stale...)...).Run()
		})
		e.Must(t, "network", "prune", "-f")
		if rules := natPostrouting(t); strings.Contains(rules, "engstale0") {
			t.Errorf("[%s] network prune left the stale masquerade rule:\n%s", e.Mode(), rules)
		}
	})
}

// natPostrouting is iptables -t nat -S POSTROUTING.
func natPostrouting(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S", "POSTROUTING").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables -S: %v: %s", err, out)
	}
	return string(out)
}

// listenIn opens a TCP listener on addr inside the netns at path; the socket stays
// in that netns.
func listenIn(t *testing.T, path, addr string) net.Listener {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns %s: %v", path, err)
	}
	ln, lerr := net.Listen("tcp", addr)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		panic(fmt.Sprintf("cannot return to the test's netns: %v", err)) // the thread is unusable
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	return ln
}
