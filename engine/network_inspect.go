package engine

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/engine-dev/engine/netcni"
)

// InspectNetworkSettings is inspect's NetworkSettings block (podman's field names).
type InspectNetworkSettings struct {
	EndpointID  string                               `json:"EndpointID"`
	Gateway     string                               `json:"Gateway"`
	IPAddress   string                               `json:"IPAddress"`
	IPPrefixLen int                                  `json:"IPPrefixLen"`
	MacAddress  string                               `json:"MacAddress"`
	Bridge      string                               `json:"Bridge"`
	SandboxID   string                               `json:"SandboxID"`
	SandboxKey  string                               `json:"SandboxKey"`
	Ports       map[string][]InspectHostPort         `json:"Ports"`
	Networks    map[string]*InspectNetworkAttachment `json:"Networks,omitempty"`
}

// InspectHostPort is one host side of a published port.
type InspectHostPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// InspectNetworkAttachment is one network of the container in inspect.
type InspectNetworkAttachment struct {
	EndpointID  string   `json:"EndpointID"`
	Gateway     string   `json:"Gateway"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	MacAddress  string   `json:"MacAddress"`
	NetworkID   string   `json:"NetworkID"`
	Aliases     []string `json:"Aliases"`
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
			ns.Networks[r.Network] = &InspectNetworkAttachment{NetworkID: r.Network, Aliases: append([]string{shortID(c.ID)}, r.Aliases...)}
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
}

// Ports are the container's published ports: the live ones (random host ports
// resolved) while it runs, else those it asked for.
func (c *Container) Ports() []netcni.PortMapping {
	if st := c.netState(); st != nil {
		return st.Ports
	}
	return c.Config.Net.Ports
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
	if st.Running() {
		ports = c.Ports()
	}
	for _, p := range ports {
		out = append(out, psPort{HostIP: p.HostIP, ContainerPort: p.ContainerPort, HostPort: p.HostPort, Range: 1, Protocol: p.Protocol})
	}
	return out
}

// PortsColumn is ps's PORTS column: "127.0.0.1:8080->80/tcp, ...".
func PortsColumn(ports []any) string {
	var parts []string
	for _, x := range ports {
		p, ok := x.(psPort)
		if !ok {
			continue
		}
		parts = append(parts, netcni.PortMapping{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol}.String())
	}
	sort.Strings(parts)
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}
