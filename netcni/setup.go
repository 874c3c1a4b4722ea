package netcni

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/sirupsen/logrus"
)

// SetupOptions describe the network of one container start.
type SetupOptions struct {
	ContainerID string
	Name        string
	Hostname    string
	RunDir      string    // the container's run directory: netns, state, /etc files
	Slirp       bool      // rootless: slirp4netns instead of CNI networks
	Networks    []Request // CNI networks, in order (eth0, eth1, ...)
	Ports       []PortMapping
	AddHosts    []string // --add-host HOST:IP
}

// Setup creates the container's network namespace and joins it to its networks (or
// to slirp4netns), publishes its ports and writes its /etc/hosts. On failure it
// undoes what it did. A previous setup left in RunDir (a crash) is torn down first.
func (m *Manager) Setup(ctx context.Context, o SetupOptions) (*State, error) {
	p, err := m.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return p.Wait()
}

// Pending is a network setup whose CNI ADDs (or slirp4netns start) run in the
// background; see Start.
type Pending struct {
	NetNS     string // the container's network namespace (bind mount), there already
	HostsPath string // its /etc/hosts, there already, complete once Wait returns
	done      chan struct{}
	st        *State
	err       error
}

// Wait waits for the setup to finish and returns what it did; after an error the
// setup was undone.
func (p *Pending) Wait() (*State, error) {
	<-p.done
	return p.st, p.err
}

// Start is Setup in two halves. Before it returns, what bad input or a busy host
// can fail is done: the networks are resolved, the ports bound, the netns made
// (so that the container can be created in it) and /etc/hosts written (so that it
// can be bind-mounted). The CNI ADDs, which cost 100 to 300 ms of plugin execs,
// then run in the background, holding the store's network lock, while the caller
// creates the container; the caller waits (Pending.Wait) before the container's
// process starts. Each step is recorded first in RUNDIR/network.json as Setup does,
// so a process killed meanwhile leaves what Teardown and Prune undo.
func (m *Manager) Start(ctx context.Context, o SetupOptions) (*Pending, error) {
	// The FORWARD check execs iptables: it runs while the netns is made. Rootless,
	// there is no host chain to satisfy (slirp4netns, or the rootless netns's own).
	firewall := func() bool { return false }
	if !m.rootless {
		firewall = checkForwardAsync()
	}
	if err := m.Teardown(ctx, o.RunDir); err != nil {
		return nil, err
	}
	// Resolved before locking: Get may write the default network, under the lock.
	nets, err := m.resolve(o.Networks)
	if err != nil {
		return nil, err
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	st := &State{ContainerID: o.ContainerID, Name: o.Name, Hostname: o.Hostname, Mode: "bridge",
		NetNS: filepath.Join(o.RunDir, "netns"), HostsPath: filepath.Join(o.RunDir, "hosts")}
	if o.Slirp {
		st.Mode = "slirp4netns"
	}
	if st.Ports, err = bindPorts(o.Ports, m.takenPorts()); err != nil {
		unlock()
		return nil, err
	}
	if err := m.prepareLocked(o, st); err != nil {
		_ = m.teardownLocked(ctx, o.RunDir, st, nil)
		unlock()
		return nil, err
	}
	p := &Pending{NetNS: st.NetNS, HostsPath: st.HostsPath, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer unlock()
		start := time.Now()
		defer func() {
			logrus.Debugf("network setup of %s: %v", shortID(o.ContainerID), time.Since(start).Round(time.Millisecond))
		}()
		if err := m.attachAll(ctx, o, st, nets, firewall); err != nil {
			// The netns stays: the caller may be creating the container in it at
			// this moment, and runc's error about a vanished netns would hide this
			// one. It is RUNDIR/netns, which Teardown removes without a record.
			st.failedSetup = true
			_ = m.teardownLocked(ctx, o.RunDir, st, nil)
			p.err = err
			return
		}
		p.st = st
	}()
	return p, nil
}

// prepareLocked records st, makes the netns and a first /etc/hosts (the
// container's own names, without an address yet).
func (m *Manager) prepareLocked(o SetupOptions, st *State) error {
	st.Pending = true
	if err := writeState(o.RunDir, st); err != nil {
		return fmt.Errorf("writing network state: %w", err)
	}
	if err := createNetns(st.NetNS); err != nil {
		return err
	}
	if err := writeFileAtomic(st.HostsPath, []byte(hostsBase(st, o.AddHosts, "")), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", st.HostsPath, err)
	}
	return nil
}

// attachAll starts slirp4netns or joins st's netns to nets, then writes the
// hosts files that name it.
func (m *Manager) attachAll(ctx context.Context, o SetupOptions, st *State, nets []*Network, firewall func() bool) error {
	if o.Slirp {
		if err := m.startSlirp(o.RunDir, st); err != nil {
			return err
		}
	}
	names := ifNames(o.Networks)
	for i, n := range nets {
		if err := m.attach(ctx, o.RunDir, st, n, o.Networks[i], names[i], firewall()); err != nil {
			return err
		}
	}
	st.HostsBase = hostsBase(st, o.AddHosts, hostIP(st, nets))
	if err := m.refreshHosts(st); err != nil {
		return err
	}
	st.Pending = false
	return writeState(o.RunDir, st)
}

// ifNames picks each request's interface in the container: its own name, or the
// next ethN that no request names.
func ifNames(reqs []Request) []string {
	used := map[string]bool{}
	for _, r := range reqs {
		used[r.Interface] = true
	}
	out := make([]string, len(reqs))
	next := 0
	for i, r := range reqs {
		out[i] = r.Interface
		for out[i] == "" {
			if name := fmt.Sprintf("eth%d", next); !used[name] {
				out[i], used[name] = name, true
			}
			next++
		}
	}
	return out
}

// resolve looks the requested networks up; as root an empty list means the default.
func (m *Manager) resolve(reqs []Request) ([]*Network, error) {
	var out []*Network
	for _, r := range reqs {
		n, err := m.Get(r.Network)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// attach runs CNI ADD of network n for interface ifName, recording the intent
// first; firewall says whether the firewall plugin runs (forwardFiltered).
func (m *Manager) attach(ctx context.Context, runDir string, st *State, n *Network, r Request, ifName string, firewall bool) error {
	// A rootless netns's FORWARD chain accepts: no firewall plugin there.
	p := &plugins{portmap: len(st.Ports) > 0 && len(st.Attachments) == 0, firewall: firewall && !m.rootless, pinned: m.pinnedPlugins()}
	f, err := m.conflist(n, p)
	if err != nil {
		return err
	}
	raw, err := f.bytes()
	if err != nil {
		return err
	}
	a := Attachment{Network: n.Name, Interface: ifName, Aliases: r.Aliases, Conflist: raw, Pinned: p.pinned}
	if p.portmap {
		a.Ports = st.Ports
	}
	st.Attachments = append(st.Attachments, a)
	if err := writeState(runDir, st); err != nil {
		return err
	}
	if err := m.register(n.Name, st.ContainerID, runDir); err != nil {
		return err
	}
	masq, err := m.ensureBridge(n)
	if err != nil {
		return err
	}
	masqErr := make(chan error, 1)
	if masq != nil {
		go func() { masqErr <- masq() }()
	} else {
		masqErr <- nil
	}
	res, err := m.cniAdd(ctx, st, &a, r)
	if merr := <-masqErr; err == nil && merr != nil {
		err = merr
	}
	if err != nil {
		return fmt.Errorf("setting up network %s: %w", n.Name, err)
	}
	if m.rootless {
		if err := m.rootlessForward(a.Ports); err != nil {
			return err
		}
	}
	fillFromResult(&st.Attachments[len(st.Attachments)-1], res, ifName)
	return writeState(runDir, st)
}

func (m *Manager) cni(e *cniExec) *libcni.CNIConfig {
	if e.netns = m.pluginNetns(); e.netns != "" {
		e.lockFile = filepath.Join(m.stateDir, "xtables.lock")
	}
	return libcni.NewCNIConfigWithCacheDir(m.path, filepath.Join(m.stateDir, "cache"), e)
}

func (m *Manager) runtimeConf(st *State, a *Attachment, r Request) *libcni.RuntimeConf {
	caps := map[string]any{}
	if len(a.Ports) > 0 {
		var pm []map[string]any
		for _, p := range a.Ports {
			pm = append(pm, map[string]any{"hostPort": p.HostPort, "containerPort": p.ContainerPort,
				"protocol": p.Protocol, "hostIP": m.portmapHostIP(p)})
		}
		caps["portMappings"] = pm
	}
	if r.IP != "" {
		caps["ips"] = []string{r.IP}
	}
	if r.MAC != "" {
		caps["mac"] = r.MAC
	}
	netns := st.NetNS
	if !isNetns(netns) {
		netns = "" // gone: DEL must still release IPAM and iptables state
	}
	return &libcni.RuntimeConf{ContainerID: st.ContainerID, NetNS: netns, IfName: a.Interface, CapabilityArgs: caps,
		Args: [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", st.Name}}}
}

func (m *Manager) cniAdd(ctx context.Context, st *State, a *Attachment, r Request) (*types100.Result, error) {
	list, err := libcni.ConfListFromBytes(a.Conflist)
	if err != nil {
		return nil, err
	}
	res, err := m.cni(&cniExec{}).AddNetworkList(ctx, list, m.runtimeConf(st, a, r))
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	return types100.NewResultFromResult(res)
}

// fillFromResult copies the address, gateway and MAC of ifName out of an ADD result.
func fillFromResult(a *Attachment, res *types100.Result, ifName string) {
	idx := -1
	for i, itf := range res.Interfaces {
		if itf.Name == ifName && itf.Sandbox != "" {
			idx, a.MAC = i, itf.Mac
		}
	}
	for _, ipc := range res.IPs {
		if ipc.Interface != nil && *ipc.Interface != idx && idx >= 0 {
			continue
		}
		if ipc.Address.IP.To4() == nil {
			continue
		}
		a.IP = ipc.Address.IP.String()
		a.PrefixLen, _ = ipc.Address.Mask.Size()
		if ipc.Gateway != nil {
			a.Gateway = ipc.Gateway.String()
		}
		return
	}
}

// register records that the container in runDir is attached to network (for name
// resolution, ports in use and `network rm`).
func (m *Manager) register(network, id, runDir string) error {
	return writeFileAtomic(filepath.Join(m.stateDir, "attach", network, id), []byte(runDir), 0o600)
}

func (m *Manager) unregister(network, id string) {
	_ = os.Remove(filepath.Join(m.stateDir, "attach", network, id))
}

// peers returns the states of the containers attached to network.
func (m *Manager) peers(network string) []*State {
	dir := filepath.Join(m.stateDir, "attach", network)
	ents, _ := os.ReadDir(dir)
	var out []*State
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		st, err := ReadState(string(b))
		if err != nil || st == nil || st.ContainerID != e.Name() {
			_ = os.Remove(filepath.Join(dir, e.Name())) // its container is gone
			continue
		}
		out = append(out, st)
	}
	return out
}

// takenPorts are the host ports published by the store's running containers.
func (m *Manager) takenPorts() map[string]bool {
	out := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(m.stateDir, "attach"))
	for _, e := range ents {
		for _, st := range m.peers(e.Name()) {
			for _, p := range st.Ports {
				out[portKey(p)] = true
			}
		}
	}
	return out
}

// Containers lists the ids of the containers attached to network now.
func (m *Manager) Containers(network string) []string {
	var out []string
	for _, st := range m.peers(network) {
		out = append(out, st.ContainerID)
	}
	return out
}
