package netcni

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
)

// Bridge names and subnets are host-wide resources while network configs are per
// store. A claim file per bridge, under one host-wide lock, records which store's
// config owns it; a claim whose config file is gone (a store deleted without
// `network rm`, a finished test) is stale and free again, so claims never need a
// cleanup of their own.
const (
	claimsDir  = "/run/engine/claims"
	claimsLock = "/run/engine/claims.lock"
)

type claimRecord struct {
	Bridge string `json:"bridge"`
	Subnet string `json:"subnet"`
	Config string `json:"config"` // the conflist that owns the claim
}

func claim(bridge, subnet, config string) error {
	b, _ := json.Marshal(claimRecord{Bridge: bridge, Subnet: subnet, Config: config})
	return writeFileAtomic(filepath.Join(claimsDir, claimName(bridge, subnet)), b, 0o644)
}

func claimName(bridge, subnet string) string {
	return bridge + "_" + strings.NewReplacer("/", "-", ".", "-").Replace(subnet)
}

func unclaim(bridge, config string) {
	for _, c := range readClaims() {
		if c.Bridge == bridge && c.Config == config {
			_ = os.Remove(filepath.Join(claimsDir, claimName(c.Bridge, c.Subnet)))
		}
	}
}

func readClaims() []claimRecord {
	ents, _ := os.ReadDir(claimsDir)
	var out []claimRecord
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(claimsDir, e.Name()))
		if err != nil {
			continue
		}
		var c claimRecord
		if json.Unmarshal(b, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// liveClaims are the claims whose owning config still exists and names the bridge.
func liveClaims() []claimRecord {
	var out []claimRecord
	for _, c := range readClaims() {
		b, err := os.ReadFile(c.Config)
		if err == nil && strings.Contains(string(b), `"`+c.Bridge+`"`) {
			out = append(out, c)
			continue
		}
		_ = os.Remove(filepath.Join(claimsDir, claimName(c.Bridge, c.Subnet)))
	}
	return out
}

// SweepClaims removes the stale claims of the host (their network config is gone:
// a store deleted without `network rm`, a finished test) and the idle bridges they
// leave: a bridge named only by stale claims, with no port, is deleted. It returns
// the bridges whose claims it removed. `network prune` and `system prune` run it;
// allocation also skips stale claims, so this only tidies /run/engine/claims.
func SweepClaims() ([]string, error) {
	unlock, err := flockFile(claimsLock)
	if err != nil {
		return nil, err
	}
	defer unlock()
	all := readClaims()
	live := map[string]bool{}
	for _, c := range liveClaims() { // removes the stale ones
		live[c.Bridge] = true
	}
	var out []string
	for _, c := range all {
		if live[c.Bridge] {
			continue
		}
		out = append(out, c.Bridge)
		deleteIdleBridge(c.Bridge)
	}
	sweepMasquerade(live)
	return out, nil
}

// deleteIdleBridge deletes the bridge called name if it has no port.
func deleteIdleBridge(name string) {
	l, err := netlink.LinkByName(name)
	if err != nil || l.Type() != "bridge" {
		return
	}
	links, err := netlink.LinkList()
	if err != nil {
		return
	}
	for _, p := range links {
		if p.Attrs().MasterIndex == l.Attrs().Index {
			return
		}
	}
	_ = netlink.LinkDel(l)
}

// hostNets are the IPv4 destinations the host routes (but the default route).
func hostNets() ([]*net.IPNet, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	var out []*net.IPNet
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue
		}
		out = append(out, r.Dst)
	}
	return out, nil
}
