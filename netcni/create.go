package netcni

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// CreateOptions are `network create`'s.
type CreateOptions struct {
	Name     string
	Driver   string // bridge (default) or macvlan
	Subnet   string // CIDR; picked from 10.89.N.0/24 when empty
	Gateway  string
	IPRange  string // CIDR inside Subnet
	Internal bool
	Labels   map[string]string
	Options  map[string]string // -o: parent= (macvlan)
}

// Create adds a network (named engineN, the first free N from 1, when o.Name is
// empty, as podman names its podmanN). Bad input changes nothing.
func (m *Manager) Create(o CreateOptions) (*Network, error) {
	if err := checkName(o.Name); err != nil && o.Name != "" {
		return nil, err
	}
	switch o.Name {
	case "bridge", "none", "host", "slirp4netns", "pasta", "private", "ns", "default":
		return nil, fmt.Errorf("cannot create network with name %q because it conflicts with a valid network mode: %w", o.Name, ErrInvalidArg)
	}
	if o.Driver == "" {
		o.Driver = "bridge"
	}
	if o.Driver != "bridge" && o.Driver != "macvlan" {
		return nil, fmt.Errorf("unsupported network driver %q (want bridge or macvlan): %w", o.Driver, ErrInvalidArg)
	}
	if m.rootless && o.Driver == "macvlan" {
		return nil, fmt.Errorf("macvlan networks need root (a rootless network's netns has no host interface to attach to): %w", ErrInvalidArg)
	}
	if o.Subnet == "" && (o.Gateway != "" || o.IPRange != "") {
		return nil, fmt.Errorf("--gateway and --ip-range need --subnet: %w", ErrInvalidArg)
	}
	if o.Driver == "macvlan" && o.Subnet == "" {
		// A subnet engine picks (10.89.N.0/24) is not the parent's LAN.
		return nil, fmt.Errorf("macvlan driver needs at least one subnet specified, DHCP is not supported: %w", ErrInvalidArg)
	}
	opts, parent, err := driverOptions(o.Driver, o.Options)
	if err != nil {
		return nil, err
	}
	if parent != "" {
		if _, err := net.InterfaceByName(parent); err != nil {
			return nil, fmt.Errorf("parent interface %s does not exist: %w", parent, ErrInvalidArg)
		}
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if o.Name == "" {
		o.Name = m.freeName()
	}
	if _, err := os.Stat(m.confPath(o.Name)); err == nil || o.Name == DefaultNetwork {
		return nil, fmt.Errorf("network name %s already used: %w", o.Name, ErrNetworkExists)
	}
	n := &Network{Name: o.Name, ID: networkID(o.Name), Driver: o.Driver, Created: time.Now(),
		Labels: o.Labels, Options: opts, IPAMOptions: map[string]string{"driver": "host-local"}, Internal: o.Internal}
	if err := m.allocate(n, o, parent); err != nil {
		return nil, err
	}
	return n, nil
}

// freeName is the first engineN (N from 1) that no network of the store has.
func (m *Manager) freeName() string {
	for i := 1; ; i++ {
		name := fmt.Sprintf("%s%d", DefaultNetwork, i)
		if _, err := os.Stat(m.confPath(name)); errors.Is(err, os.ErrNotExist) {
			return name
		}
	}
}

// allocate fills n's subnet and bridge name, and saves n, under the host-wide claims lock, so two
// stores (two users of --root, parallel tests) never pick the same bridge or subnet.
func (m *Manager) allocate(n *Network, o CreateOptions, parent string) error {
	// A rootless store's bridges live in its own netns (rootlessns.go): no claims.
	var claims []claimRecord
	if !m.rootless {
		unlockHost, err := flockFile(claimsLock)
		if err != nil {
			return err
		}
		defer unlockHost()
		claims = liveClaims()
	}
	existing, err := m.list()
	if err != nil {
		return err
	}
	host, err := hostNets()
	if err != nil {
		return err
	}
	var sub Subnet
	if o.Subnet != "" {
		if sub, err = parseSubnet(o.Subnet, o.Gateway, o.IPRange); err != nil {
			return err
		}
		if err := subnetFree(sub.Subnet, existing, host, claims); err != nil {
			return err
		}
	}
	idx := -1
	for i := 0; i < 256 && idx < 0; i++ {
		br := fmt.Sprintf("engine%d", i)
		cand := fmt.Sprintf("10.89.%d.0/24", i)
		if bridgeUsed(br, existing, claims) {
			continue
		}
		if o.Subnet == "" && subnetFree(cand, existing, host, claims) != nil {
			continue
		}
		idx = i
		n.NetworkInterface = br
		if o.Subnet == "" {
			sub, _ = parseSubnet(cand, "", "")
		}
	}
	if idx < 0 {
		return fmt.Errorf("no free bridge name or subnet left in 10.89.0.0/16: %w", ErrInUse)
	}
	if n.Driver == "macvlan" {
		n.NetworkInterface = parent
	}
	n.Subnets = []Subnet{sub}
	if m.rootless {
		return m.save(n)
	}
	if err := claim(n.NetworkInterface, sub.Subnet, m.confPath(n.Name)); err != nil {
		return fmt.Errorf("claiming bridge %s: %w", n.NetworkInterface, err)
	}
	// Saved under the claims lock: a claim without its config reads as stale.
	return m.save(n)
}

// parseSubnet checks --subnet/--gateway/--ip-range and fills in the gateway.
func parseSubnet(subnet, gateway, ipRange string) (Subnet, error) {
	ip, ipn, err := net.ParseCIDR(subnet)
	if err != nil || ip.To4() == nil {
		return Subnet{}, fmt.Errorf("invalid subnet %q: want an IPv4 CIDR such as 10.89.5.0/24: %w", subnet, ErrInvalidArg)
	}
	if ones, _ := ipn.Mask.Size(); ones > 30 {
		return Subnet{}, fmt.Errorf("subnet %s is too small: %w", subnet, ErrInvalidArg)
	}
	s := Subnet{Subnet: ipn.String()}
	if gateway != "" {
		gw := net.ParseIP(gateway)
		if gw == nil || !ipn.Contains(gw) {
			return Subnet{}, fmt.Errorf("gateway %q is not in subnet %s: %w", gateway, s.Subnet, ErrInvalidArg)
		}
		s.Gateway = gw.String()
	} else {
		gw := nextIP(ipn.IP, 1)
		s.Gateway = gw.String()
	}
	if ipRange != "" {
		_, rn, err := net.ParseCIDR(ipRange)
		if err != nil || !ipn.Contains(rn.IP) {
			return Subnet{}, fmt.Errorf("ip range %q is not a CIDR inside subnet %s: %w", ipRange, s.Subnet, ErrInvalidArg)
		}
		start, end := rangeBounds(rn)
		if start.Equal(rn.IP) {
			start = nextIP(start, 1)
		}
		s.LeaseRange = &LeaseRange{StartIP: start.String(), EndIP: end.String()}
	}
	return s, nil
}

// rangeBounds is the first and last usable address of n (no broadcast).
func rangeBounds(n *net.IPNet) (net.IP, net.IP) {
	start := n.IP.To4()
	end := make(net.IP, 4)
	for i := range end {
		end[i] = start[i] | ^n.Mask[i]
	}
	return start, nextIP(end, -1)
}

func nextIP(ip net.IP, d int) net.IP {
	v := ip.To4()
	n := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	n = uint32(int64(n) + int64(d))
	return net.IPv4(byte(n>>24), byte(n>>16), byte(n>>8), byte(n)).To4()
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// subnetFree refuses a subnet that overlaps another network of the store, another
// store's claimed network, or a route of the host.
func subnetFree(subnet string, existing []*Network, host []*net.IPNet, claims []claimRecord) error {
	_, want, err := net.ParseCIDR(subnet)
	if err != nil {
		return fmt.Errorf("invalid subnet %q: %w", subnet, ErrInvalidArg)
	}
	for _, n := range existing {
		for _, s := range n.Subnets {
			if _, have, err := net.ParseCIDR(s.Subnet); err == nil && overlaps(want, have) {
				return fmt.Errorf("subnet %s overlaps subnet %s of network %s: %w", subnet, s.Subnet, n.Name, ErrInUse)
			}
		}
	}
	for _, c := range claims {
		if _, have, err := net.ParseCIDR(c.Subnet); err == nil && overlaps(want, have) {
			return fmt.Errorf("subnet %s overlaps subnet %s of another engine store (%s): %w", subnet, c.Subnet, c.Config, ErrInUse)
		}
	}
	for _, h := range host {
		if overlaps(want, h) {
			return fmt.Errorf("subnet %s is already used on the host (route %s): %w", subnet, h, ErrInUse)
		}
	}
	return nil
}

func bridgeUsed(br string, existing []*Network, claims []claimRecord) bool {
	for _, n := range existing {
		if n.NetworkInterface == br {
			return true
		}
	}
	for _, c := range claims {
		if c.Bridge == br {
			return true
		}
	}
	if _, err := net.InterfaceByName(br); err == nil {
		return true
	}
	return false
}

// Remove deletes a network's config (the caller checked that no container uses it)
// and its bridge. The default network cannot be removed.
func (m *Manager) Remove(name string) error {
	n, err := m.Get(name)
	if err != nil {
		return err
	}
	if n.Name == DefaultNetwork {
		return fmt.Errorf("default network %s cannot be removed: %w", n.Name, ErrInvalidArg)
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(m.confPath(n.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	if n.Driver == "bridge" {
		_ = deleteBridgeIfIdle(m, n)
	}
	if !m.rootless {
		unclaim(n.NetworkInterface, m.confPath(n.Name))
	}
	return nil
}
