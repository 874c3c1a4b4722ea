package netcni

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// cniVersion of the conflists engine writes (the pinned plugins speak 1.0.0).
const cniVersion = "1.0.0"

// plugins selects the optional plugins of one ADD. Each plugin is a separate exec
// (and the chaining ones run iptables), so an ADD without published ports skips
// portmap, firewall only runs when the host's FORWARD chain filters (forwardFiltered)
// and tuning only when it has something to set.
type plugins struct {
	portmap  bool
	firewall bool
	tuning   bool
	pinned   bool // engine's own plugin build (pinnedPlugins): its options are honoured
}

var allPlugins = &plugins{portmap: true, firewall: true, tuning: true}

// conflist builds n's CNI configuration: bridge (gateway, masquerade unless
// internal) + host-local IPAM (leases under the store's run root) + portmap +
// firewall + tuning, or macvlan + host-local.
func (m *Manager) conflist(n *Network, p *plugins) (*conflistFile, error) {
	if p == nil {
		p = allPlugins
	}
	f := &conflistFile{CNIVersion: cniVersion, Name: n.Name}
	var list []any
	switch n.Driver {
	case "bridge":
		list = append(list, map[string]any{
			"type": "bridge", "bridge": n.NetworkInterface, "isGateway": true, "ipMasq": !n.Internal && !m.wantsMasquerade(n), "ipMasqBackend": masqBackend(),
			"hairpinMode": true, "ipam": m.ipam(n), "capabilities": map[string]bool{"ips": true, "mac": true},
		})
		setIntOptions(list[0].(map[string]any), n, "mtu", "vlan")
		if p.portmap && !n.Internal {
			list = append(list, map[string]any{"type": "portmap", "backend": portmapBackend(p.pinned),
				"capabilities": map[string]bool{"portMappings": true}})
		}
		if p.firewall {
			list = append(list, map[string]any{"type": "firewall", "backend": "iptables"})
		}
	case "macvlan":
		conf := map[string]any{"type": "macvlan", "ipam": m.ipam(n), "capabilities": map[string]bool{"ips": true}}
		// Networks made before parent became the interface kept it as an option.
		if parent := n.Options["parent"]; parent != "" {
			conf["master"] = parent
		} else if n.NetworkInterface != "" {
			conf["master"] = n.NetworkInterface
		}
		if mode := n.Options["mode"]; mode != "" {
			conf["mode"] = mode
		}
		setIntOptions(conf, n, "mtu")
		list = append(list, conf)
	default:
		return nil, fmt.Errorf("unsupported network driver %q: %w", n.Driver, ErrInvalidArg)
	}
	if p.tuning {
		list = append(list, map[string]any{"type": "tuning", "dataDir": filepath.Join(m.stateDir, "tuning"),
			"capabilities": map[string]bool{"mac": true}})
	}
	for _, pl := range list {
		b, err := json.Marshal(pl)
		if err != nil {
			return nil, err
		}
		f.Plugins = append(f.Plugins, b)
	}
	return f, nil
}

// setIntOptions copies n's numeric -o options keys into a plugin's config.
func setIntOptions(conf map[string]any, n *Network, keys ...string) {
	for _, k := range keys {
		if v := intOption(n, k); v != 0 {
			conf[k] = v
		}
	}
}

// ipam is the host-local section of n.
func (m *Manager) ipam(n *Network) map[string]any {
	var ranges [][]map[string]string
	for _, s := range n.Subnets {
		r := map[string]string{"subnet": s.Subnet}
		if s.Gateway != "" {
			r["gateway"] = s.Gateway
		}
		if s.LeaseRange != nil {
			if s.LeaseRange.StartIP != "" {
				r["rangeStart"] = s.LeaseRange.StartIP
			}
			if s.LeaseRange.EndIP != "" {
				r["rangeEnd"] = s.LeaseRange.EndIP
			}
		}
		ranges = append(ranges, []map[string]string{r})
	}
	ipam := map[string]any{"type": "host-local", "ranges": ranges, "dataDir": filepath.Join(m.stateDir, "ipam")}
	if !n.Internal {
		ipam["routes"] = []map[string]string{{"dst": "0.0.0.0/0"}}
	}
	return ipam
}

// bytes is f as libcni reads it (without engine's record).
func (f *conflistFile) bytes() ([]byte, error) {
	g := *f
	g.Args.Engine = nil
	return json.Marshal(struct {
		CNIVersion string            `json:"cniVersion"`
		Name       string            `json:"name"`
		Plugins    []json.RawMessage `json:"plugins"`
	}{g.CNIVersion, g.Name, g.Plugins})
}
