package netcni

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"
)

// Egress of a root bridge network is masqueraded by one iptables rule per subnet
// that engine adds when it makes the network's bridge and removes with the bridge,
// the shape docker and netavark use. The bridge plugin's ipMasq makes a chain per
// container instead: 11 iptables execs per ADD and 6 per DEL, about 120 ms and
// 70 ms of each `run` here, most of engine's network cost. A rootless store keeps
// the plugin's ipMasq: its bridges live in the rootless netns, which has no other
// state to tie a rule to.
//
// The rule: -s SUBNET ! -d 224.0.0.0/4 ! -o BRIDGE -j MASQUERADE, tagged with a
// comment naming the bridge (what the plugin's chain does: not within the
// network, not multicast). Whether the rule is in place is recorded on the bridge
// itself, as its alias (IFLA_IFALIAS), set once the rule was added: a bridge
// without it (made by an engine killed before the rule) gets the rule at the next
// ADD, and the record goes with the bridge. `network prune` and `system prune`
// remove rules whose bridge is gone (SweepClaims).

// masqAlias marks a bridge whose masquerade rules are in place.
const masqAlias = "engine: masquerade"

// masqComment tags the masquerade rules of bridge.
func masqComment(bridge string) string { return "engine masquerade " + bridge }

// masqRules are the iptables rule specs (nat POSTROUTING) of n's masquerade.
func masqRules(n *Network) [][]string {
	var out [][]string
	for _, s := range n.Subnets {
		ip, ipn, err := net.ParseCIDR(s.Subnet)
		if err != nil || ip.To4() == nil {
			continue // IPv4 only, as the rest of engine's networking
		}
		out = append(out, []string{"-s", ipn.String(), "!", "-d", "224.0.0.0/4", "!", "-o", n.NetworkInterface,
			"-m", "comment", "--comment", masqComment(n.NetworkInterface), "-j", "MASQUERADE"})
	}
	return out
}

// wantsMasquerade tells whether engine masquerades n's egress itself.
func (m *Manager) wantsMasquerade(n *Network) bool {
	return !m.rootless && n.Driver == "bridge" && !n.Internal && n.NetworkInterface != ""
}

// addMasquerade adds n's rules that are missing (-C, then -A) and marks its
// bridge. It runs while the bridge plugin's ADD runs: the container's process
// starts only after both.
func addMasquerade(n *Network) error {
	for _, r := range masqRules(n) {
		if iptablesNat("-C", r) == nil {
			continue
		}
		if err := iptablesNat("-A", r); err != nil {
			return fmt.Errorf("masquerade for network %s: %w", n.Name, err)
		}
	}
	l, err := netlink.LinkByName(n.NetworkInterface)
	if err != nil {
		return fmt.Errorf("masquerade for network %s: %w", n.Name, err)
	}
	if err := netlink.LinkSetAlias(l, masqAlias); err != nil {
		return fmt.Errorf("marking bridge %s: %w", n.NetworkInterface, err)
	}
	return nil
}

// delMasquerade removes n's rules (missing ones are no error).
func delMasquerade(n *Network) {
	for _, r := range masqRules(n) {
		_ = iptablesNat("-D", r)
	}
}

// sweepMasquerade removes engine's masquerade rules whose bridge is gone and is
// claimed by no network (an engine killed between deleting a bridge and its
// rules). The rules of a claimed bridge are its store's to manage, under that
// store's network lock: one made again right now finds its old rule (-C) and keeps it.
func sweepMasquerade(live map[string]bool) {
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S", "POSTROUTING").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		i := strings.Index(line, `--comment "engine masquerade `)
		if !strings.HasPrefix(line, "-A POSTROUTING ") || i < 0 {
			continue
		}
		bridge := strings.SplitN(line[i+len(`--comment "engine masquerade `):], `"`, 2)[0]
		if live[bridge] {
			continue
		}
		if _, err := netlink.LinkByName(bridge); err == nil {
			continue
		}
		spec, ok := splitRule(strings.TrimPrefix(line, "-A POSTROUTING "))
		if ok {
			_ = iptablesNat("-D", spec)
		}
	}
}

// splitRule splits a rule as iptables -S prints it into arguments (double quotes
// group, as around a comment).
func splitRule(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	quoted, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, have = !quoted, true
		case r == ' ' && !quoted:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out, !quoted
}

// iptablesNat runs iptables -w -t nat OP POSTROUTING spec.
func iptablesNat(op string, spec []string) error {
	cmd := exec.Command("iptables", append([]string{"-w", "-t", "nat", op, "POSTROUTING"}, spec...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("iptables %s: %s", op, msg)
		}
		return fmt.Errorf("iptables %s: %w", op, err)
	}
	return nil
}
