package netcni

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// ensureDefault returns the default network, writing its config on first use with
// the first free engineN bridge and 10.89.N.0/24 subnet (engine0, 10.89.0.0/24 on a
// host where no other store took them).
func (m *Manager) ensureDefault() (*Network, error) {
	if n, err := m.load(m.confPath(DefaultNetwork)); err == nil {
		return n, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if n, err := m.load(m.confPath(DefaultNetwork)); err == nil {
		return n, nil
	}
	n := &Network{Name: DefaultNetwork, ID: networkID(DefaultNetwork), Driver: "bridge", Created: time.Now(),
		IPAMOptions: map[string]string{"driver": "host-local"}}
	if err := m.allocate(n, CreateOptions{}, ""); err != nil {
		return nil, fmt.Errorf("creating the default network: %w", err)
	}
	return n, nil
}
