package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/engine-dev/engine/netcni"
)

// ErrNetworkInUse: containers use the network (podman's wording).
var ErrNetworkInUse = errors.New("network is being used")

// NetworkUsers lists the containers (any state) configured to use network.
func (r *Runtime) NetworkUsers(network string) ([]*Container, error) {
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, c := range all {
		for _, req := range c.Config.Net.Networks {
			if req.Network == network {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// RemoveNetwork removes a network; one that containers use only with force, which
// removes those containers first (podman's rm -f).
func (r *Runtime) RemoveNetwork(name string, force bool) error {
	m := r.Networks()
	n, err := m.Get(name)
	if err != nil {
		return err
	}
	if n.Name == netcni.DefaultNetwork {
		return fmt.Errorf("default network %s cannot be removed: %w", n.Name, ErrInvalidArg)
	}
	users, err := r.NetworkUsers(n.Name)
	if err != nil {
		return err
	}
	if len(users) > 0 && !force {
		var names []string
		for _, c := range users {
			names = append(names, c.Name)
		}
		return fmt.Errorf("%q has associated containers with it (%s). Use -f to forcibly delete containers: %w",
			n.Name, strings.Join(names, ", "), ErrNetworkInUse)
	}
	for _, c := range users {
		if err := c.RemoveWith(true, false); err != nil && !errors.Is(err, ErrNoSuchContainer) {
			return fmt.Errorf("removing container %s of network %s: %w", c.Name, n.Name, err)
		}
	}
	return m.Remove(n.Name)
}

// UsedNetworks are the names of the networks that containers (in any state) are
// configured to use.
func (r *Runtime) UsedNetworks() (map[string]bool, error) {
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range all {
		for _, req := range c.Config.Net.Networks {
			out[req.Network] = true
		}
	}
	return out, nil
}

// PruneNetworks removes the networks no container uses (never the default one)
// and that every keep accepts (prune's --filter), after releasing what stopped
// or vanished containers left behind (a monitor or CLI killed mid-way): netns
// mounts, veths, IPAM leases, iptables rules.
func (r *Runtime) PruneNetworks(keep ...func(*netcni.Network) bool) ([]string, error) {
	if err := r.ReleaseLeakedNetworks(); err != nil {
		return nil, err
	}
	m := r.Networks()
	nets, err := m.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, n := range nets {
		if n.Name == netcni.DefaultNetwork || !passes(keep, n) {
			continue
		}
		users, err := r.NetworkUsers(n.Name)
		if err != nil {
			return removed, err
		}
		if len(users) > 0 {
			continue
		}
		if err := m.Remove(n.Name); err != nil {
			return removed, err
		}
		removed = append(removed, n.Name)
	}
	return removed, nil
}

func passes(preds []func(*netcni.Network) bool, n *netcni.Network) bool {
	for _, p := range preds {
		if !p(n) {
			return false
		}
	}
	return true
}

// ReleaseLeakedNetworks tears down the network of every container that is not
// running (State reconciles a lost monitor, which does the same) and forgets
// attachments of containers that no longer exist.
func (r *Runtime) ReleaseLeakedNetworks() error {
	all, err := r.List()
	if err != nil {
		return err
	}
	live := map[string]bool{}
	var errs []error
	for _, c := range all {
		st, err := c.State()
		if err != nil {
			continue
		}
		if st.Running() || (st.Status == StatusCreated && st.MonitorPid != 0) {
			if !c.abandonNet() {
				live[c.ID] = true
				continue
			}
		}
		unlock, err := c.lock()
		if err != nil {
			continue
		}
		if err := c.teardownNet(); err != nil {
			errs = append(errs, fmt.Errorf("container %s: %w", c.Name, err))
		}
		unlock()
	}
	if err := r.Networks().Prune(context.Background(), live); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// abandonNet stops a container whose network setup the starting process left
// unfinished (killed while the CNI ADDs ran, see netcni.Manager.Start): its process
// never started and never will, so it is killed (its monitor then exits) and its
// network released like that of any stopped container. false when the container's
// setup finished.
func (c *Container) abandonNet() bool {
	run, err := c.RunDir()
	if err != nil || !c.r.Networks().SetupAbandoned(run) {
		return false
	}
	_ = os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600) // no restart
	// The monitor may still be creating the container (it outlives the killed
	// CLI): kill the container's init once it exists, and wait for the monitor to
	// record the exit (it then cleans up; ReleaseLeakedNetworks tears the network
	// down itself too, both are idempotent).
	killed := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		now, err := c.readState()
		if err != nil || now.Status == StatusExited {
			break
		}
		if now.Pid != 0 && !killed {
			_ = c.signal(now, syscall.SIGKILL)
			killed = true
		}
	}
	return true
}

// Connect joins the container to one more network: in its config, and at once
// (CNI ADD into its netns) when it runs.
func (c *Container) Connect(network string, aliases []string, ip, mac string) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m := c.r.Networks()
	n, err := m.Get(network)
	if err != nil {
		return err
	}
	nc := &c.Config.Net
	if nc.Mode != NetBridge {
		return fmt.Errorf("container %s uses --network %s; only bridge containers can be connected: %w", c.Name, c.Config.Network, ErrInvalidArg)
	}
	for _, r := range nc.Networks {
		if r.Network == n.Name {
			return fmt.Errorf("container %s is already connected to network %s: %w", c.Name, n.Name, ErrInvalidArg)
		}
	}
	req := netcni.Request{Network: n.Name, Aliases: aliases, IP: ip, MAC: mac}
	if ip != "" {
		if err := ipInNetwork(m, n.Name, ip); err != nil {
			return err
		}
	}
	st, err := c.State()
	if err != nil {
		return err
	}
	if st.Running() {
		run, err := c.RunDir()
		if err != nil {
			return err
		}
		if err := m.Connect(context.Background(), run, req); err != nil {
			return netErr(err)
		}
	}
	nc.Networks = append(nc.Networks, req)
	return c.saveConfig()
}

// Disconnect removes the container from a network: CNI DEL when it runs, and from
// its config.
func (c *Container) Disconnect(network string) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m := c.r.Networks()
	n, err := m.Get(network)
	if err != nil {
		return err
	}
	nc := &c.Config.Net
	idx := -1
	for i, r := range nc.Networks {
		if r.Network == n.Name {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("container %s is not connected to network %s: %w", c.Name, n.Name, ErrInvalidArg)
	}
	if st, err := c.State(); err == nil && st.Running() {
		run, err := c.RunDir()
		if err != nil {
			return err
		}
		if err := m.Disconnect(context.Background(), run, n.Name); err != nil {
			return err
		}
	}
	nc.Networks = append(nc.Networks[:idx], nc.Networks[idx+1:]...)
	if len(nc.Networks) == 0 {
		nc.Mode, c.Config.Network = NetNone, NetNone
	}
	return c.saveConfig()
}

func (c *Container) saveConfig() error {
	meta, err := c.Config.marshal()
	if err != nil {
		return err
	}
	if err := c.r.store.SetMetadata(c.ID, meta); err != nil {
		return fmt.Errorf("saving config of %s: %w", c.Name, err)
	}
	return nil
}
