package netcni

import (
	"context"
	"fmt"
)

// Connect joins a running container (its netns in runDir) to one more network, as
// the next ethN, and refreshes the /etc/hosts of everyone on that network.
func (m *Manager) Connect(ctx context.Context, runDir string, r Request) error {
	n, err := m.Get(r.Network) // before locking: it may write the default network
	if err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := ReadState(runDir)
	if err != nil {
		return err
	}
	if st == nil || st.Mode != "bridge" || !isNetns(st.NetNS) {
		return fmt.Errorf("container has no bridge network namespace to connect: %w", ErrInvalidArg)
	}
	for _, a := range st.Attachments {
		if a.Network == r.Network {
			return fmt.Errorf("container is already connected to network %s: %w", r.Network, ErrInvalidArg)
		}
	}
	before := len(st.Attachments)
	ifName := r.Interface
	if ifName == "" {
		ifName = nextIfName(st)
	}
	if err := m.attach(ctx, runDir, st, n, r, ifName, forwardFiltered()); err != nil {
		if len(st.Attachments) == before {
			return err
		}
		last := &st.Attachments[before]
		_ = m.cniDel(ctx, st, last)
		m.unregister(last.Network, st.ContainerID)
		st.Attachments = st.Attachments[:before]
		_ = writeState(runDir, st)
		return err
	}
	return m.refreshHosts(st)
}

func nextIfName(st *State) string {
	used := map[string]bool{}
	for _, a := range st.Attachments {
		used[a.Interface] = true
	}
	for i := 0; ; i++ {
		if name := fmt.Sprintf("eth%d", i); !used[name] {
			return name
		}
	}
}

// Disconnect runs CNI DEL of one network of a running container.
func (m *Manager) Disconnect(ctx context.Context, runDir, network string) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := ReadState(runDir)
	if err != nil || st == nil {
		return err
	}
	for i := range st.Attachments {
		a := st.Attachments[i]
		if a.Network != network {
			continue
		}
		if m.rootless {
			m.rootlessUnforward(a.Ports)
		}
		if err := m.cniDel(ctx, st, &a); err != nil {
			return err
		}
		st.Attachments = append(st.Attachments[:i], st.Attachments[i+1:]...)
		if len(a.Ports) > 0 {
			st.Ports = nil
		}
		if err := writeState(runDir, st); err != nil {
			return err
		}
		m.unregister(network, st.ContainerID)
		m.afterLeave(network, st.ContainerID, false)
		if err := m.releaseRootlessNetnsIfIdle(); err != nil {
			return err
		}
		return m.writeHosts(st)
	}
	return nil
}
