package netcni

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Published ports of a rootless user network take two hops: slirp4netns binds the
// host's address and port and forwards connections to the same port on tap0 of the
// rootless netns (add_hostfwd), where portmap DNATs them to the container. So
// portmap matches any local address (the host address the user asked for is
// slirp4netns's to bind), and the forwards are removed by matching the container's
// recorded ports (list_hostfwd), which also finds those of a process killed before
// it could record anything more.

// portmapHostIP is the hostIP portmap matches for p.
func (m *Manager) portmapHostIP(p PortMapping) string {
	if m.rootless {
		return ""
	}
	return p.HostIP
}

// rootlessForward asks the rootless netns's slirp4netns to forward ports. A
// forward that exists already is the container's own (bindPorts and takenPorts
// refused the ports of anyone else): reforward may have made it.
func (m *Manager) rootlessForward(ports []PortMapping) error {
	for _, p := range ports {
		fwd := p
		fwd.ContainerPort = p.HostPort // portmap takes it from there
		if err := slirpForward(m.rootlessDir(), fwd); err != nil && len(m.forwardsOf([]PortMapping{p})) == 0 {
			return err
		}
	}
	return nil
}

// forwardsOf lists the ids of the slirp4netns forwards of ports.
func (m *Manager) forwardsOf(ports []PortMapping) []int {
	var list struct {
		Entries []hostfwd `json:"entries"`
	}
	if err := slirpCall(m.rootlessDir(), map[string]any{"execute": "list_hostfwd"}, &list); err != nil {
		return nil
	}
	var out []int
	for _, f := range list.Entries {
		for _, p := range ports {
			addr := p.HostIP
			if addr == "" {
				addr = "0.0.0.0"
			}
			if f.Proto == p.Protocol && f.HostPort == int(p.HostPort) && f.HostAddr == addr {
				out = append(out, f.ID)
			}
		}
	}
	return out
}

// hostfwd is one forward as slirp4netns's list_hostfwd reports it.
type hostfwd struct {
	ID       int    `json:"id"`
	Proto    string `json:"proto"`
	HostAddr string `json:"host_addr"`
	HostPort int    `json:"host_port"`
}

// rootlessUnforward removes the forwards of ports; a missing slirp4netns or forward
// is fine (nothing to remove).
func (m *Manager) rootlessUnforward(ports []PortMapping) {
	dir := m.rootlessDir()
	if len(ports) == 0 || rootlessSlirpPid(dir) == 0 {
		return
	}
	for _, id := range m.forwardsOf(ports) {
		_ = slirpCall(dir, map[string]any{"execute": "remove_hostfwd", "arguments": map[string]any{"id": id}}, nil)
	}
}

// reforward forwards again the published ports of every container on the store's
// networks (a restarted slirp4netns has none).
func (m *Manager) reforward() {
	ents, _ := os.ReadDir(filepath.Join(m.stateDir, "attach"))
	for _, e := range ents {
		if e.Name() == slirpNetwork {
			continue
		}
		for _, st := range m.peers(e.Name()) {
			for _, a := range st.Attachments {
				if a.Network == e.Name() {
					_ = m.rootlessForward(a.Ports)
				}
			}
		}
	}
}

// slirpCall sends one request to the slirp4netns API socket in dir and decodes the
// "return" member of its answer into out (when not nil); list_hostfwd answers
// without one ({"entries": [...]}, slirp4netns 1.2), which is decoded whole.
func slirpCall(dir string, req any, out any) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	conn, err := net.Dial("unix", fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), slirpSocket))
	if err != nil {
		return fmt.Errorf("connecting to slirp4netns: %w", err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return err
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	line, _ := bufio.NewReader(conn).ReadString('\n')
	var resp struct {
		Return json.RawMessage `json:"return"`
		Error  map[string]any  `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &resp); err != nil || resp.Error != nil {
		return fmt.Errorf("slirp4netns: %s", strings.TrimSpace(line))
	}
	switch {
	case out == nil:
		return nil
	case len(resp.Return) > 0:
		return json.Unmarshal(resp.Return, out)
	default:
		return json.Unmarshal([]byte(line), out)
	}
}
