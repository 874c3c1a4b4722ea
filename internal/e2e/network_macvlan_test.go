package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestNetworkMacvlan: a macvlan network on an interface the test creates (a dummy,
// or a veth pair where the kernel has no dummy driver, as here); two
// containers on it get addresses of its subnet on macvlan links and reach each
// other by name; nothing is left on the parent after rm.
func TestNetworkMacvlan(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		if !macvlanPlugin() {
			t.Skip("no macvlan CNI plugin in CNI_PATH or the usual CNI directories")
		}
		img := netSetup(t, e)
		parent := fmt.Sprintf("edm%d", time.Now().UnixNano()%1000000)
		ipCmd := func(args ...string) error {
			out, err := exec.Command("ip", args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ip %v: %v: %s", args, err, out)
			}
			return nil
		}
		if ipCmd("link", "add", parent, "type", "dummy") != nil {
			if err := ipCmd("link", "add", parent, "type", "veth", "peer", "name", parent+"p"); err != nil {
				t.Fatal(err)
			}
			if err := ipCmd("link", "set", parent+"p", "up"); err != nil {
				t.Fatal(err)
			}
		}
		if err := ipCmd("link", "set", parent, "up"); err != nil {
			t.Fatal(err)
		}
		// Runs before netSetup's leak check (which would take the parent for a
		// bridge left behind) and after its rm -a -f.
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", parent).Run() })
		n, pre := uniq("mv"), randomPrefix()
		e.Must(t, "network", "create", "-d", "macvlan", "-o", "parent="+parent, "--subnet", pre+".0/24", n)
		var nets []struct {
			Driver  string            `json:"driver"`
			Iface   string            `json:"network_interface"`
			Options map[string]string `json:"options"`
		}
		if err := json.Unmarshal([]byte(e.Must(t, "network", "inspect", n)), &nets); err != nil || len(nets) != 1 ||
			nets[0].Driver != "macvlan" || nets[0].Iface != parent {
			t.Errorf("[%s] network inspect %s: %v %+v", e.Mode(), n, err, nets)
		}
		runDetached(t, e, "--name", "m1", "--network", n, img, "sleep", "300")
		runDetached(t, e, "--name", "m2", "--network", n, img, "sleep", "300")
		if out := e.Must(t, "exec", "m1", "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, "inet "+pre+".") {
			t.Errorf("[%s] m1 eth0: %q, want an address in %s.0/24", e.Mode(), out, pre)
		}
		// On the host, the parent has two macvlan links (in the containers' netns,
		// so look them up through the parent's ifindex).
		if got := macvlanChildren(t, e, parent, "m1", "m2"); got != 2 {
			t.Errorf("[%s] %d of the containers' eth0 are macvlan links of %s, want 2", e.Mode(), got, parent)
		}
		if res := e.Run("exec", "m1", "ping", "-c", "1", "-W", "2", "m2"); res.Code != 0 {
			t.Errorf("[%s] m1 cannot reach m2 by name over macvlan: %s", e.Mode(), res)
		}
		e.Must(t, "rm", "-f", "m1", "m2")
		if leases, _ := filepath.Glob(filepath.Join(e.RunRoot, "engine", "net", "ipam", n, "*.*.*.*")); len(leases) > 0 {
			t.Errorf("[%s] macvlan leases left after rm: %v", e.Mode(), leases)
		}
		e.Must(t, "network", "rm", n)
		if _, err := os.Stat(filepath.Join("/sys/class/net", parent)); err != nil {
			t.Errorf("[%s] network rm removed the parent %s: %v", e.Mode(), parent, err)
		}
	})
}

// macvlanChildren counts the containers whose eth0 is a macvlan link of parent:
// the link's sysfs iflink is the parent's ifindex.
func macvlanChildren(t *testing.T, e *testutil.Engine, parent string, ctrs ...string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/class/net", parent, "ifindex"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(b))
	n := 0
	for _, c := range ctrs {
		res := e.Run("exec", c, "cat", "/sys/class/net/eth0/iflink")
		if res.Code == 0 && strings.TrimSpace(res.Stdout) == want {
			n++
		}
	}
	return n
}

// macvlanPlugin tells whether engine can find the macvlan plugin.
func macvlanPlugin() bool {
	dirs := append(filepath.SplitList(os.Getenv("CNI_PATH")), "/usr/libexec/cni", "/usr/lib/cni", "/opt/cni/bin")
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "macvlan")); err == nil {
			return true
		}
	}
	return false
}
