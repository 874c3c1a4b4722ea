package netcni

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
)

// ensureBridge creates and sets up n's bridge before CNI ADD when it is missing.
// The bridge plugin would create it too, but a bridge it creates during ADD makes
// the new veth port come up late, and the plugin then sleeps for it (about 300 ms
// here); one that is up already costs nothing.
// It returns whether the bridge lacks the mark of its masquerade rules
// (masquerade.go), which a bridge it creates always does.
func ensureBridge(n *Network) (unmarked bool, err error) {
	if n.Driver != "bridge" || n.NetworkInterface == "" {
		return false, nil
	}
	if l, err := netlink.LinkByName(n.NetworkInterface); err == nil {
		return l.Attrs().Alias != masqAlias, nil
	}
	// As the bridge plugin would make it (-o mtu, -o vlan): it only checks that
	// an existing bridge is one.
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.NetworkInterface, MTU: intOption(n, "mtu")}}
	if intOption(n, "vlan") != 0 {
		filtering := true
		br.VlanFiltering = &filtering
	}
	if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, errExist) {
		return false, fmt.Errorf("creating bridge %s: %w", n.NetworkInterface, err)
	}
	l, err := netlink.LinkByName(n.NetworkInterface)
	if err != nil {
		return false, fmt.Errorf("creating bridge %s: %w", n.NetworkInterface, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return false, fmt.Errorf("setting bridge %s up: %w", n.NetworkInterface, err)
	}
	return true, nil
}

// checkForwardAsync starts forwardFiltered and returns the function that waits
// for its answer.
func checkForwardAsync() func() bool {
	c := make(chan bool, 1)
	go func() { c <- forwardFiltered() }()
	var once sync.Once
	var v bool
	return func() bool {
		once.Do(func() { v = <-c })
		return v
	}
}

// forwardFiltered tells whether the host's FORWARD chain may drop the containers'
// traffic (policy DROP, or DROP/REJECT rules, as docker installs): only then is the
// firewall plugin, which adds accept rules for each container, worth its cost (an
// exec and about eight iptables calls for ADD and again for DEL). When iptables is
// missing or fails, assume it is needed.
func forwardFiltered() bool {
	out, err := exec.Command("iptables", "-w", "-t", "filter", "-S", "FORWARD").Output()
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "-P" && f[2] != "ACCEPT":
			return true
		case len(f) > 0 && f[0] == "-A" && (strings.Contains(line, "-j DROP") || strings.Contains(line, "-j REJECT")):
			return true
		case len(f) > 0 && f[0] == "-A" && !strings.Contains(line, "-j CNI-FORWARD") && !strings.Contains(line, "-j NETAVARK"):
			// a jump to another chain (DOCKER-USER, ...) may drop: keep the firewall
			if strings.Contains(line, " -j ") && !strings.Contains(line, "-j ACCEPT") {
				return true
			}
		}
	}
	return false
}
