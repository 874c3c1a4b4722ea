package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/engine-dev/engine/netcni"
)

// InspectNetworkSettings is inspect's NetworkSettings block (podman's field names).
type InspectNetworkSettings struct {
	EndpointID  string `json:"EndpointID"`
	Gateway     string `json:"Gateway"`
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	InspectIPv6
	MacAddress             string                               `json:"MacAddress"`
	Bridge                 string                               `json:"Bridge"`
	SandboxID              string                               `json:"SandboxID"`
	HairpinMode            bool                                 `json:"HairpinMode"`
	LinkLocalIPv6Address   string                               `json:"LinkLocalIPv6Address"`
	LinkLocalIPv6PrefixLen int                                  `json:"LinkLocalIPv6PrefixLen"`
	Ports                  map[string][]InspectHostPort         `json:"Ports"`
	SandboxKey             string                               `json:"SandboxKey"`
	Networks               map[string]*InspectNetworkAttachment `json:"Networks,omitempty"`
}

// InspectIPv6 are podman's IPv6 fields of a network attachment: empty, engine's
// networks are IPv4 only, but templates that read them must not fail.
type InspectIPv6 struct {
	IPv6Gateway         string `json:"IPv6Gateway"`
	GlobalIPv6Address   string `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int    `json:"GlobalIPv6PrefixLen"`
}

// InspectHostPort is one host side of a published port.
type InspectHostPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// InspectNetworkAttachment is one network of the container in inspect.
type InspectNetworkAttachment struct {
	EndpointID  string `json:"EndpointID"`
	Gateway     string `json:"Gateway"`
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	InspectIPv6
	MacAddress string            `json:"MacAddress"`
	NetworkID  string            `json:"NetworkID"`
	DriverOpts map[string]string `json:"DriverOpts"`
	IPAMConfig map[string]string `json:"IPAMConfig"`
	Links      []string          `json:"Links"`
	Aliases    []string          `json:"Aliases"`
}

// netState is the live network state of a running container (nil otherwise).
func (c *Container) netState() *netcni.State {
	run, err := c.RunDir()
	if err != nil {
		return nil
	}
	st, _ := netcni.ReadState(run)
	return st
}

// inspectNet fills the network parts of inspect.
func (c *Container) inspectNet(d *InspectData) {
	ns := &InspectNetworkSettings{Ports: map[string][]InspectHostPort{}}
	d.NetworkSettings = ns
	nc := c.Config.Net
	live := c.netState()
	if nc.Mode == NetBridge {
		ns.Networks = map[string]*InspectNetworkAttachment{}
		for _, r := range nc.Networks {
			// podman: the requested aliases, then the short id.
			ns.Networks[r.Network] = &InspectNetworkAttachment{NetworkID: r.Network, Aliases: append(append([]string{}, r.Aliases...), shortID(c.ID))}
		}
	}
	ports := nc.Ports
	if live != nil {
		ns.SandboxKey = live.NetNS
		ports = live.Ports
		for i, a := range live.Attachments {
			if i == 0 {
				ns.IPAddress, ns.IPPrefixLen, ns.Gateway, ns.MacAddress = a.IP, a.PrefixLen, a.Gateway, a.MAC
			}
			if na := ns.Networks[a.Network]; na != nil {
				na.IPAddress, na.IPPrefixLen, na.Gateway, na.MacAddress = a.IP, a.PrefixLen, a.Gateway, a.MAC
			}
		}
	}
	for _, p := range ports {
		k := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		hp := InspectHostPort{HostIP: p.HostIP, HostPort: strconv.Itoa(int(p.HostPort))}
		if p.HostPort == 0 {
			hp.HostPort = ""
		}
		ns.Ports[k] = append(ns.Ports[k], hp)
	}
	for _, k := range nc.Exposed {
		if _, ok := ns.Ports[k]; !ok {
			ns.Ports[k] = nil // exposed, not published: null, as podman
		}
	}
}

// Ports are the container's published ports while it runs (`port`: none
// otherwise, as podman).
func (c *Container) Ports() []netcni.PortMapping {
	if st := c.netState(); st != nil {
		return st.Ports
	}
	return nil
}

// networkNames is ps's Networks: the CNI networks the container is on.
func (c *Container) networkNames() []string {
	out := []string{}
	for _, r := range c.Config.Net.Networks {
		out = append(out, r.Network)
	}
	return out
}

// psPort is one entry of podman's ps --format json Ports.
type psPort struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"`
}

func (c *Container) psPorts(st State) []any {
	out := []any{}
	ports := c.Config.Net.Ports
	if live := c.Ports(); st.Running() && live != nil {
		ports = live
	}
	for _, p := range portRanges(ports) {
		out = append(out, p)
	}
	return out
}

// portRanges groups ports as podman reports them: by host address, protocol and
// container port, consecutive ports (on both sides) merged into one range.
func portRanges(ports []netcni.PortMapping) []psPort {
	sorted := append([]netcni.PortMapping(nil), ports...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.HostIP != b.HostIP {
			return a.HostIP < b.HostIP
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.ContainerPort < b.ContainerPort
	})
	var out []psPort
	for _, p := range sorted {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.HostIP == p.HostIP && last.Protocol == p.Protocol && p.HostPort != 0 &&
				uint32(last.ContainerPort)+uint32(last.Range) == uint32(p.ContainerPort) &&
				uint32(last.HostPort)+uint32(last.Range) == uint32(p.HostPort) {
				last.Range++
				continue
			}
		}
		out = append(out, psPort{HostIP: p.HostIP, ContainerPort: p.ContainerPort, HostPort: p.HostPort, Range: 1, Protocol: p.Protocol})
	}
	return out
}

// PortsColumn is ps's PORTS column, in portRanges' order as podman's (which
// keeps its own grouping, unsorted): "0.0.0.0:9000-9001->90-91/tcp, 127.0.0.1:8080->80/tcp".
func PortsColumn(ports []any) string {
	var parts []string
	for _, x := range ports {
		p, ok := x.(psPort)
		if !ok {
			continue
		}
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		if p.Range > 1 {
			parts = append(parts, fmt.Sprintf("%s:%d-%d->%d-%d/%s", ip, p.HostPort, p.HostPort+p.Range-1,
				p.ContainerPort, p.ContainerPort+p.Range-1, p.Protocol))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Protocol))
	}
	return strings.Join(parts, ", ")
}
