package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestNetworkPruneClaims: `network prune` removes the host-wide claims of bridges
// whose network config is gone (a store deleted without `network rm`) and their
// idle bridges, and keeps the claims of live networks.
func TestNetworkPruneClaims(t *testing.T) {
	rootOnly(t, func(t *testing.T, e *testutil.Engine) {
		netSetup(t, e)
		e.Must(t, "network", "ls") // makes the default network (and its claim)
		// A stale claim: its config is in a store that no longer exists.
		const br = "engine251"
		if _, err := net.InterfaceByName(br); err == nil {
			t.Skipf("%s exists on this host", br)
		}
		// The bridge first: a parallel test's prune may sweep the claim as soon as it
		// exists, and must then find its bridge to remove as well.
		if out, err := exec.Command("ip", "link", "add", br, "type", "bridge").CombinedOutput(); err != nil {
			t.Fatalf("ip link add %s: %v: %s", br, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", br).Run() })
		claim := filepath.Join("/run/engine/claims", br+"_10-89-251-0-24")
		b, _ := json.Marshal(map[string]string{"bridge": br, "subnet": "10.89.251.0/24",
			"config": filepath.Join(t.TempDir(), "gone", "stale.conflist")})
		if err := os.WriteFile(claim, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Remove(claim) })

		e.Must(t, "network", "prune", "-f")
		if _, err := os.Stat(claim); err == nil {
			t.Errorf("[%s] stale claim %s left after network prune", e.Mode(), claim)
		}
		if _, err := net.InterfaceByName(br); err == nil {
			t.Errorf("[%s] idle bridge %s of a stale claim left after network prune", e.Mode(), br)
		}
		// The store's default network keeps its claim.
		own := filepath.Join(e.Root, "engine", "networks", "engine.conflist")
		found := false
		ents, _ := os.ReadDir("/run/engine/claims")
		for _, ent := range ents {
			b, _ := os.ReadFile(filepath.Join("/run/engine/claims", ent.Name()))
			var c struct{ Config string }
			if json.Unmarshal(b, &c) == nil && c.Config == own {
				found = true
			}
		}
		if !found {
			t.Errorf("[%s] the claim of the default network (%s) went with the prune", e.Mode(), own)
		}
	})
}
