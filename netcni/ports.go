package netcni

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// PortMapping is one published port: HostPort 0 until a random one is picked.
type PortMapping struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
}

// String is podman's ps PORTS form: 127.0.0.1:8080->80/tcp.
func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Protocol)
}

// ParsePublish parses one -p value: [ip:][hostPort:]containerPort[/tcp|udp], where
// either port may be a range (of equal length when both are).
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid publish %q: %s: %w", spec, why, ErrInvalidArg)
	}
	rest, proto, hasProto := strings.Cut(spec, "/")
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return nil, bad("protocol must be tcp or udp")
	}
	var hostIP, hostPart, ctrPart string
	parts := strings.Split(rest, ":")
	switch len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		hostIP, hostPart, ctrPart = parts[0], parts[1], parts[2]
		ip := net.ParseIP(hostIP)
		if ip == nil || ip.To4() == nil {
			return nil, bad("host address must be an IPv4 address")
		}
		if ip.IsUnspecified() {
			hostIP = "" // all addresses, as without one (podman stores it so)
		}
	default:
		return nil, bad("want [ip:][hostPort:]containerPort[/protocol]")
	}
	cLo, cHi, err := parseRange(ctrPart)
	if err != nil {
		return nil, bad("container port: " + err.Error())
	}
	hLo, hHi := uint16(0), uint16(0)
	if hostPart != "" {
		if hLo, hHi, err = parseRange(hostPart); err != nil {
			return nil, bad("host port: " + err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return nil, bad("host and container port ranges differ in length")
		}
	}
	var out []PortMapping
	for i := 0; i <= int(cHi-cLo); i++ {
		pm := PortMapping{HostIP: hostIP, ContainerPort: cLo + uint16(i), Protocol: proto}
		if hLo != 0 {
			pm.HostPort = hLo + uint16(i)
		}
		out = append(out, pm)
	}
	return out, nil
}

func parseRange(s string) (uint16, uint16, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := parsePort(lo)
	if err != nil {
		return 0, 0, err
	}
	b := a
	if isRange {
		if b, err = parsePort(hi); err != nil {
			return 0, 0, err
		}
		if b < a {
			return 0, 0, errors.New("range end before start")
		}
	}
	return a, b, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

// bindPorts fills in random host ports and checks that each host port is free by
// binding it, as podman does; nothing stays bound (portmap forwards with iptables,
// slirp4netns binds for itself).
func bindPorts(ports []PortMapping, taken map[string]bool) ([]PortMapping, error) {
	out := make([]PortMapping, len(ports))
	for i, p := range ports {
		if p.HostPort != 0 && taken[portKey(p)] {
			return nil, fmt.Errorf("cannot publish port %d/%s: host port %d is already used by another container: %w", p.ContainerPort, p.Protocol, p.HostPort, ErrInUse)
		}
		port, err := tryBind(p)
		if err != nil {
			return nil, err
		}
		p.HostPort = port
		out[i] = p
	}
	return out, nil
}

// PickHostPorts gives each random host port (0) a free port now, as podman does
// at create: ps, port and inspect show it before the container runs, and the
// container keeps it across restarts. The start binds it again (bindPorts), so a
// port taken meanwhile fails the start, as in podman.
func PickHostPorts(ports []PortMapping) ([]PortMapping, error) {
	out := append([]PortMapping(nil), ports...)
	used := map[string]bool{}
	for _, p := range out {
		if p.HostPort != 0 {
			used[portKey(p)] = true
		}
	}
	for i := range out {
		for try := 0; out[i].HostPort == 0; try++ {
			port, err := tryBind(out[i])
			if err != nil {
				return nil, err
			}
			cand := out[i]
			cand.HostPort = port
			if !used[portKey(cand)] || try >= 20 {
				out[i] = cand
				used[portKey(cand)] = true
			}
		}
	}
	return out, nil
}

func portKey(p PortMapping) string { return fmt.Sprintf("%d/%s", p.HostPort, p.Protocol) }

func tryBind(p PortMapping) (uint16, error) {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(int(p.HostPort)))
	var port int
	var err error
	if p.Protocol == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp4", addr); err == nil {
			port = c.LocalAddr().(*net.UDPAddr).Port
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp4", addr); err == nil {
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
	}
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return 0, fmt.Errorf("cannot publish port %d: %s address %s is already in use: %w", p.HostPort, strings.ToUpper(p.Protocol), addr, ErrInUse)
		}
		return 0, fmt.Errorf("cannot publish port %d/%s on %s: %v: %w", p.HostPort, p.Protocol, addr, err, ErrInvalidArg)
	}
	return uint16(port), nil
}
