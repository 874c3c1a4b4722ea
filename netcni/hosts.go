package netcni

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
)

// Containers on one network find each other through /etc/hosts, which engine keeps
// current without a daemon (as nerdctl does): a container's file is its own part
// (HostsBase) followed by one line per peer on each of its networks, rewritten in
// place (the file is bind-mounted, so a rename would not reach the container)
// whenever a container joins or leaves one of those networks.

// hostsFile is the host's /etc/hosts: the base of every container's, as in
// podman (its base_hosts_file default); a variable for tests.
var hostsFile = "/etc/hosts"

// baseHosts are the entries of the host's /etc/hosts as "IP\tnames" lines.
func baseHosts() []string {
	b, _ := os.ReadFile(hostsFile)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 || net.ParseIP(f[0]) == nil {
			continue
		}
		out = append(out, f[0]+"\t"+strings.Join(f[1:], " "))
	}
	return out
}

// namesIn tells whether one of lines ("IP\tnames") names name, for an address
// ip ("" for any).
func namesIn(lines []string, ip, name string) bool {
	for _, l := range lines {
		addr, names, _ := strings.Cut(l, "\t")
		if (ip == "" || addr == ip) && slices.Contains(strings.Fields(names), name) {
			return true
		}
	}
	return false
}

// ParseAddHost checks one --add-host HOST:IP value and returns its hosts line.
func ParseAddHost(s string) (string, error) {
	host, ip, ok := strings.Cut(s, ":")
	if !ok || host == "" || net.ParseIP(ip) == nil {
		return "", fmt.Errorf("invalid --add-host %q: want HOST:IP: %w", s, ErrInvalidArg)
	}
	return ip + "\t" + host, nil
}

// hostContainersInternal is the name podman gives the host in /etc/hosts, which
// scripts use to reach services on the host.
const hostContainersInternal = "host.containers.internal"

// hostsBase is a container's own part of /etc/hosts, as podman 4.3 writes it:
// the --add-host entries, the host's /etc/hosts, 127.0.0.1 localhost (unless
// there already; no ::1 line, whose lookup first would miss IPv4-only servers), host.containers.internal at hostIP when known (unless named
// already), and the container's own address and names.
func hostsBase(st *State, addHosts []string, hostIP string) string {
	var lines []string
	for _, h := range addHosts {
		if line, err := ParseAddHost(h); err == nil {
			lines = append(lines, line)
		}
	}
	lines = append(lines, baseHosts()...)
	if !namesIn(lines, "127.0.0.1", "localhost") {
		lines = append(lines, "127.0.0.1\tlocalhost")
	}
	if hostIP != "" && !namesIn(lines, "", hostContainersInternal) {
		lines = append(lines, hostIP+"\t"+hostContainersInternal)
	}
	names := hostNames(st.Hostname, st.Name, nil)
	switch {
	case st.Mode == "slirp4netns":
		lines = append(lines, slirpGuestIP+"\t"+names)
	case len(st.Attachments) > 0 && st.Attachments[0].IP != "":
		for _, a := range st.Attachments { // one line per network, as podman
			if a.IP != "" {
				lines = append(lines, a.IP+"\t"+names)
			}
		}
	default:
		lines = append(lines, "127.0.0.1\t"+names)
	}
	return strings.Join(lines, "\n") + "\n"
}

// HostsFor is /etc/hosts of a container without a network of its own (none).
func HostsFor(hostname, name string, addHosts []string) string {
	return hostsBase(&State{Hostname: hostname, Name: name}, addHosts, LocalIP())
}

// hostIP is host.containers.internal for st, as podman picks it: the gateway of
// its first bridge network (a macvlan gateway is not the host), else the host's
// own address.
func hostIP(st *State, nets []*Network) string {
	for i, a := range st.Attachments {
		if i < len(nets) && nets[i].Driver == "bridge" && a.Gateway != "" {
			return a.Gateway
		}
	}
	return LocalIP()
}

// LocalIP is the host's first non-loopback address, IPv4 preferred (podman's
// getLocalIP): host.containers.internal without a bridge gateway.
func LocalIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	v6 := ""
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP.String()
		}
		if v6 == "" {
			v6 = n.IP.String()
		}
	}
	return v6
}

func hostNames(hostname, name string, aliases []string) string {
	out := []string{hostname}
	for _, n := range append([]string{name}, aliases...) {
		if n != "" && n != hostname {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// hostsContent is st's file: its base and its peers.
func (m *Manager) hostsContent(st *State) string {
	var b strings.Builder
	b.WriteString(st.HostsBase)
	seen := map[string]bool{}
	for _, a := range st.Attachments {
		for _, p := range m.peers(a.Network) {
			if p.ContainerID == st.ContainerID {
				continue
			}
			for _, pa := range p.Attachments {
				if pa.Network != a.Network || pa.IP == "" {
					continue
				}
				line := pa.IP + "\t" + hostNames(p.Name, p.Hostname, pa.Aliases) + "\n"
				if !seen[line] {
					seen[line] = true
					b.WriteString(line)
				}
			}
		}
	}
	return b.String()
}

// writeHosts rewrites st's /etc/hosts in place.
func (m *Manager) writeHosts(st *State) error {
	if st.HostsPath == "" || st.HostsBase == "" {
		return nil
	}
	f, err := os.OpenFile(st.HostsPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", st.HostsPath, err)
	}
	_, err = f.WriteString(m.hostsContent(st))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// refreshHosts writes st's /etc/hosts and those of its peers, which now see it.
func (m *Manager) refreshHosts(st *State) error {
	if err := m.writeHosts(st); err != nil {
		return err
	}
	done := map[string]bool{st.ContainerID: true}
	for _, a := range st.Attachments {
		for _, p := range m.peers(a.Network) {
			if !done[p.ContainerID] {
				done[p.ContainerID] = true
				_ = m.writeHosts(p)
			}
		}
	}
	return nil
}

// ResolvConf is the container's /etc/resolv.conf: the host's without loopback
// nameservers (unreachable from a netns), or the --dns* values. With slirp4netns,
// its DNS forwarder stands in when nothing else is left.
func ResolvConf(host []byte, dns, search, options []string, slirp bool) []byte {
	var servers, searches, opts []string
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if ip := net.ParseIP(f[1]); ip != nil && !ip.IsLoopback() {
				servers = append(servers, f[1])
			}
		case "search":
			searches = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	if len(dns) > 0 {
		servers = dns
	}
	if len(search) > 0 {
		searches = search
	}
	if len(options) > 0 {
		opts = options
	}
	if len(servers) == 0 && slirp {
		servers = []string{slirpDNS}
	}
	var b strings.Builder
	if len(searches) > 0 && !(len(searches) == 1 && searches[0] == ".") {
		b.WriteString("search " + strings.Join(searches, " ") + "\n")
	}
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(opts) > 0 {
		b.WriteString("options " + strings.Join(opts, " ") + "\n")
	}
	return []byte(b.String())
}
