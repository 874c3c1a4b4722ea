package engine

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/engine-dev/engine/netcni"
)

// The parsing of create/run's network flags: per-network options, static
// addresses and published ports.

// networkRequest resolves one CNI --network value, NAME[:OPTIONS].
func (r *Runtime) networkRequest(v string) (netcni.Request, error) {
	name, opts, hasOpts := strings.Cut(v, ":")
	req, err := perNetworkOptions(opts)
	if err != nil {
		return req, fmt.Errorf("invalid option for network %s: %w", name, err)
	}
	if !hasOpts {
		name = v
	}
	if name == NetBridge {
		name = netcni.DefaultNetwork
	}
	n, err := r.Networks().Get(name)
	if err != nil && r.rootless && name == netcni.DefaultNetwork {
		// Rootless, the default network is made by the first container that
		// asks for it (the default mode is slirp4netns), not by ls or inspect.
		n, err = r.Networks().EnsureDefault()
	}
	if err != nil {
		return req, invalidArg(err)
	}
	req.Network = n.Name
	return req, nil
}

// perNetworkOptions parses podman's per-network options of --network NAME:OPTIONS
// (comma-separated ip=, mac=, alias= (repeatable) and interface_name=).
func perNetworkOptions(opts string) (netcni.Request, error) {
	var req netcni.Request
	if opts == "" {
		return req, nil
	}
	for _, opt := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "ip":
			if ip := net.ParseIP(v); ip == nil || ip.To4() == nil {
				return req, fmt.Errorf("invalid ip address %q: %w", v, ErrInvalidArg)
			}
			req.IP = v
		case "mac":
			if _, err := net.ParseMAC(v); err != nil {
				return req, fmt.Errorf("invalid mac address %q: %w", v, ErrInvalidArg)
			}
			req.MAC = v
		case "alias":
			if v == "" {
				return req, fmt.Errorf("alias cannot be empty: %w", ErrInvalidArg)
			}
			req.Aliases = append(req.Aliases, v)
		case "interface_name":
			if !validIfName(v) {
				return req, fmt.Errorf("invalid interface_name %q: %w", v, ErrInvalidArg)
			}
			req.Interface = v
		default:
			return req, fmt.Errorf("unknown bridge network option: %s: %w", k, ErrInvalidArg)
		}
	}
	return req, nil
}

// validIfName is the kernel's rule for a link name (at most 15 bytes, no '/',
// ':' or white space), minus the names a container's netns already has.
func validIfName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." || s == "lo" {
		return false
	}
	return !strings.ContainsAny(s, "/: \t\n")
}

// netRequests applies --ip, --mac-address and --network-alias to the first network
// and checks every static address against its network's subnets.
func (r *Runtime) netRequests(nc *NetConfig, o NetOptions) error {
	if o.IP != "" || o.MAC != "" || len(o.Aliases) > 0 {
		if nc.Mode != NetBridge {
			return fmt.Errorf("--ip, --mac-address and --network-alias need a bridge network, not %s: %w", nc.Mode, ErrInvalidArg)
		}
		first := &nc.Networks[0]
		if o.IP != "" {
			if len(nc.Networks) > 1 {
				return fmt.Errorf("--ip can only be used with a single network: %w", ErrInvalidArg)
			}
			first.IP = o.IP
		}
		if o.MAC != "" {
			if _, err := net.ParseMAC(o.MAC); err != nil {
				return fmt.Errorf("invalid --mac-address %q: %w", o.MAC, ErrInvalidArg)
			}
			first.MAC = o.MAC
		}
		first.Aliases = append(first.Aliases, o.Aliases...)
	}
	for _, req := range nc.Networks {
		if req.IP != "" {
			if err := ipInNetwork(r.Networks(), req.Network, req.IP); err != nil {
				return err
			}
		}
	}
	return nil
}

func ipInNetwork(m *netcni.Manager, network, ip string) error {
	addr := net.ParseIP(ip)
	if addr == nil || addr.To4() == nil {
		return fmt.Errorf("invalid --ip %q: want an IPv4 address: %w", ip, ErrInvalidArg)
	}
	n, err := m.Get(network)
	if err != nil {
		return err
	}
	for _, s := range n.Subnets {
		if _, sn, err := net.ParseCIDR(s.Subnet); err == nil && sn.Contains(addr) {
			return nil
		}
	}
	return fmt.Errorf("--ip %s is not in a subnet of network %s: %w", ip, network, ErrInvalidArg)
}

// exposedPorts are the image's EXPOSE ports and --expose's, as "80/tcp", sorted
// and unique: inspect lists them (unpublished ones as null) and -P publishes them.
func exposedPorts(o NetOptions, ic imgspec.ImageConfig) ([]string, error) {
	set := map[string]bool{}
	add := func(spec string) error {
		pm, err := netcni.ParsePublish(spec)
		if err != nil || strings.Contains(spec, ":") {
			return fmt.Errorf("invalid --expose %q: want PORT[-PORT][/tcp|udp]: %w", spec, ErrInvalidArg)
		}
		for _, m := range pm {
			set[fmt.Sprintf("%d/%s", m.ContainerPort, m.Protocol)] = true
		}
		return nil
	}
	for spec := range ic.ExposedPorts {
		_ = add(spec) // an odd EXPOSE in an image is not the user's error
	}
	for _, spec := range o.Expose {
		if err := add(spec); err != nil {
			return nil, err
		}
	}
	return sortedKeys(set), nil
}

// parsePorts reads -p and, for -P, the exposed ports (random host ports) that
// -p does not publish.
func parsePorts(o NetOptions, exposed []string) ([]netcni.PortMapping, error) {
	var out []netcni.PortMapping
	published := map[string]bool{} // "80/tcp": -P leaves these to -p, as podman
	for _, p := range o.Publish {
		pm, err := netcni.ParsePublish(p)
		if err != nil {
			return nil, invalidArg(err)
		}
		for _, m := range pm {
			published[fmt.Sprintf("%d/%s", m.ContainerPort, m.Protocol)] = true
		}
		out = append(out, pm...)
	}
	if o.PublishAll {
		for _, spec := range exposed {
			if pm, err := netcni.ParsePublish(spec); err == nil && !published[spec] {
				out = append(out, pm...)
			}
		}
	}
	return out, nil
}

// invalidArg makes err (worded for the user already, often ending in netcni's own
// "invalid argument") match ErrInvalidArg without repeating that in its message.
func invalidArg(err error) error {
	if errors.Is(err, ErrInvalidArg) {
		return err
	}
	return &argError{err}
}

type argError struct{ err error }

func (e *argError) Error() string   { return e.err.Error() }
func (e *argError) Unwrap() []error { return []error{e.err, ErrInvalidArg} }

// sortedKeys are m's keys in order: -P picks random host ports in EXPOSE order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
