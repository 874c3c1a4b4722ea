package netcni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// Teardown undoes Setup for the container in runDir: slirp4netns stopped, CNI DEL
// of each network (releasing its address and iptables rules, and with the netns its
// veth), the netns unmounted, the peers' /etc/hosts updated. It is idempotent: a
// second call, or one after a partial setup or a crash, succeeds.
func (m *Manager) Teardown(ctx context.Context, runDir string) error {
	idle, err := m.TeardownDeferred(ctx, runDir)
	idle()
	return err
}

// TeardownDeferred is Teardown but for the removal of the bridges the container
// was the last to use, which the returned function does (it takes the network
// lock; always call it). A caller holding the container's lock runs it after
// releasing that lock, or next to other work: deleting a link waits for an RCU
// grace period (~20 ms here) that nothing else needs to wait for. A process killed
// before it runs leaves an idle bridge, which the next container on the network
// uses and `network prune` removes.
func (m *Manager) TeardownDeferred(ctx context.Context, runDir string) (func(), error) {
	none := func() {}
	st, err := ReadState(runDir)
	if err != nil {
		return none, err
	}
	if st == nil {
		// No record: at most a netns file from a crash before the record was written.
		return none, removeNetns(filepath.Join(runDir, "netns"))
	}
	unlock, err := m.lock()
	if err != nil {
		return none, err
	}
	var idle []string
	err = m.teardownLocked(ctx, runDir, st, &idle)
	unlock()
	if len(idle) == 0 {
		return none, err
	}
	return func() { m.removeIdleBridges(idle) }, err
}

// removeIdleBridges removes the bridges of networks that no container uses.
func (m *Manager) removeIdleBridges(networks []string) {
	unlock, err := m.lock()
	if err != nil {
		return
	}
	defer unlock()
	for _, name := range networks {
		if n, err := m.load(m.confPath(name)); err == nil {
			_ = deleteBridgeIfIdle(m, n)
		}
	}
}

// teardownLocked tears st down; the networks left without a container are added
// to idle when it is not nil, else their bridges are removed at once.
func (m *Manager) teardownLocked(ctx context.Context, runDir string, st *State, idle *[]string) error {
	var errs []error
	stopSlirp(st)
	// DEL before the netns goes: the bridge plugin finds the addresses whose
	// masquerade rules it removes on the container's interface, and with no netns it
	// only releases the lease (the rules would leak). The DELs of all networks run at
	// once, and meanwhile the peers' /etc/hosts are rewritten and idle bridges removed
	// (neither needs the container's veth gone).
	if m.rootless && st.Mode == "bridge" {
		m.rootlessUnforward(st.Ports)
	}
	if st.NetNS != "" && !st.failedSetup && netnsFirst(runDir, st) {
		if err := removeNetns(st.NetNS); err != nil {
			errs = append(errs, err)
		}
	}
	var waits []func() error
	for i := len(st.Attachments) - 1; i >= 0; i-- {
		a := &st.Attachments[i]
		waits = append(waits, m.startDel(ctx, st, a))
		m.unregister(a.Network, st.ContainerID)
		if m.afterLeave(a.Network, st.ContainerID, idle != nil) && idle != nil {
			*idle = append(*idle, a.Network)
		}
	}
	for _, wait := range waits {
		if err := wait(); err != nil {
			// A DEL that cannot succeed (a macvlan parent that is gone, a plugin
			// removed) must not make the container impossible to remove: say so and
			// go on, as podman does; the netns removal below still frees the veth.
			if st.failedSetup {
				logrus.Debugf("container %s: %v", shortID(st.ContainerID), err)
			} else {
				logrus.Warnf("container %s: %v", shortID(st.ContainerID), err)
			}
		}
	}
	if st.Mode == "slirp4netns" {
		m.unregister(slirpNetwork, st.ContainerID)
	}
	if st.NetNS != "" && !st.failedSetup {
		if err := removeNetns(st.NetNS); err != nil {
			errs = append(errs, err)
		}
	}
	if err := m.releaseRootlessNetnsIfIdle(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := os.Remove(filepath.Join(runDir, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network state: %w", err)
	}
	return nil
}

// fileNetnsShared in a container's run directory says another container joined
// its netns (--network container:X) at some point.
const fileNetnsShared = "netns-shared"

// MarkNetnsShared records that a container is joining the netns of the container
// whose run directory is runDir, so that its teardown leaves the netns to the DELs.
func MarkNetnsShared(runDir string) error {
	return os.WriteFile(filepath.Join(runDir, fileNetnsShared), nil, 0o600)
}

// netnsFirst tells whether st's netns may go before the DELs. The kernel then
// destroys the container's veths with the netns, in the background, and each DEL
// only releases what the host holds (lease, port forwards): the bridge plugin's
// deletion of the veth waits for an RCU grace period, ~20 ms of every run here.
// Not when a plugin needs the netns in its DEL (the bridge plugin's per-container
// masquerade reads the addresses there, tuning restores what it changed, macvlan),
// nor when another container joined the netns: its veth must go now, not when
// the joiner exits, since the lease it held is free for the next container.
func netnsFirst(runDir string, st *State) bool {
	if _, err := os.Stat(filepath.Join(runDir, fileNetnsShared)); err == nil {
		return false
	}
	for _, a := range st.Attachments {
		var f struct {
			Plugins []pluginConf `json:"plugins"`
		}
		if json.Unmarshal(a.Conflist, &f) != nil {
			return false
		}
		for _, p := range f.Plugins {
			switch {
			case p.Type == "bridge" && !p.IPMasq, p.Type == "portmap", p.Type == "firewall":
			default:
				return false
			}
		}
	}
	return true
}

// afterLeave refreshes the /etc/hosts of the containers left on network and removes
// its bridge once no container of this store uses it, so that an idle network leaves
// no interface behind (engine makes it again on the next ADD). With deferIdle it
// only reports that the network is idle.
func (m *Manager) afterLeave(network, id string, deferIdle bool) (idle bool) {
	peers := m.peers(network)
	for _, p := range peers {
		if p.ContainerID != id {
			_ = m.writeHosts(p)
		}
	}
	if len(peers) > 0 {
		return false
	}
	if deferIdle {
		return true
	}
	if n, err := m.load(m.confPath(network)); err == nil {
		_ = deleteBridgeIfIdle(m, n)
	}
	return false
}

// deleteBridgeIfIdle removes n's bridge when no container of the store is attached.
func deleteBridgeIfIdle(m *Manager, n *Network) error {
	if n.Driver != "bridge" || n.NetworkInterface == "" || len(m.peers(n.Name)) > 0 {
		return nil
	}
	return m.inNet(func() error { // a rootless store's bridges are in its rootless netns
		l, err := netlink.LinkByName(n.NetworkInterface)
		if err != nil {
			return nil // gone already
		}
		if l.Type() != "bridge" {
			return nil
		}
		if !m.wantsMasquerade(n) {
			return netlink.LinkDel(l)
		}
		// The mark goes first, so that a bridge left by a crash below gets its rules
		// again at the next ADD; then the rules and the bridge go at once (the
		// deletion of a link waits for an RCU grace period, the rules are an exec).
		if err := netlink.LinkSetAlias(l, ""); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { delMasquerade(n); close(done) }()
		err = netlink.LinkDel(l)
		<-done
		return err
	})
}
