package netcni

import (
	"context"
	"errors"
	"os"
	"path/filepath"
)

// Prune releases the attachments of every container not in live (ids of the
// store's running containers): what a killed monitor or CLI left behind. Their
// recorded state drives the same DEL as Teardown; an attachment without a readable
// state is just forgotten. Idle bridges of the store are removed, and so are the
// host's stale claims (SweepClaims; as root).
func (m *Manager) Prune(ctx context.Context, live map[string]bool) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	attach := filepath.Join(m.stateDir, "attach")
	nets, _ := os.ReadDir(attach)
	var errs []error
	for _, nd := range nets {
		ents, _ := os.ReadDir(filepath.Join(attach, nd.Name()))
		for _, e := range ents {
			if live[e.Name()] {
				continue
			}
			path := filepath.Join(attach, nd.Name(), e.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			runDir := string(b)
			if st, err := ReadState(runDir); err == nil && st != nil && st.ContainerID == e.Name() {
				if err := m.teardownLocked(ctx, runDir, st, nil); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			_ = os.Remove(path)
		}
	}
	all, _ := m.list()
	for _, n := range all {
		_ = deleteBridgeIfIdle(m, n)
	}
	if err := m.releaseRootlessNetnsIfIdle(); err != nil {
		errs = append(errs, err)
	}
	if !m.rootless {
		if _, err := SweepClaims(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
