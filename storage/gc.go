package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// staleLayerAge is how old an unreferenced layer must be before a new copy removes it as
// the leftover of a killed one. Younger unreferenced layers may belong to a copy that
// another tool (podman, buildah) is still running on the same store.
const staleLayerAge = time.Hour

// copyGuard brackets one copy into the store (pull, load, import). containers/image
// commits layers before the image record exists, so a copy that fails or is killed
// leaves layers no image uses. engine's copies hold copy.lock shared while they run;
// whoever gets it exclusive knows no engine copy is in flight and may remove such
// leftovers.
type copyGuard struct {
	s      *Store
	f      *os.File
	before map[string]bool
}

func (s *Store) beginCopy() (*copyGuard, error) {
	dir, err := s.engineDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "copy.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
		cutoff := time.Now().Add(-staleLayerAge)
		_ = s.removeUnusedLayers(func(id string, created time.Time) bool { return created.Before(cutoff) })
		removeDeadTmpDirs(filepath.Join(dir, "tmp"))
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	layers, err := s.Layers()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	before := make(map[string]bool, len(layers))
	for _, l := range layers {
		before[l.ID] = true
	}
	return &copyGuard{s: s, f: f, before: before}, nil
}

// end releases the guard; after a failed copy it removes the layers the copy added
// that no image or container uses, when no other engine copy is running.
func (g *copyGuard) end(failed bool) {
	defer g.f.Close()
	if !failed {
		return
	}
	if unix.Flock(int(g.f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	_ = g.s.removeUnusedLayers(func(id string, _ time.Time) bool { return !g.before[id] })
}

// removeUnusedLayers deletes layers that no image or container reaches and that pick
// accepts, children before parents.
func (s *Store) removeUnusedLayers(pick func(id string, created time.Time) bool) error {
	layers, err := s.Layers()
	if err != nil {
		return err
	}
	images, err := s.Images()
	if err != nil {
		return err
	}
	containers, err := s.Containers()
	if err != nil {
		return err
	}
	parent := make(map[string]string, len(layers))
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	used := map[string]bool{}
	mark := func(id string) {
		for id != "" && !used[id] {
			used[id] = true
			id = parent[id]
		}
	}
	for _, img := range images {
		mark(img.TopLayer)
		for _, m := range img.MappedTopLayers {
			mark(m)
		}
	}
	for _, c := range containers {
		mark(c.LayerID)
	}
	victims := map[string]bool{}
	for _, l := range layers {
		if !used[l.ID] && pick(l.ID, l.Created) {
			victims[l.ID] = true
		}
	}
	for len(victims) > 0 {
		hasChild := map[string]bool{}
		for _, p := range parent {
			hasChild[p] = true
		}
		progress := false
		for id := range victims {
			if hasChild[id] {
				continue
			}
			if err := s.DeleteLayer(id); err != nil {
				return fmt.Errorf("removing unused layer %s: %w", id, err)
			}
			delete(victims, id)
			delete(parent, id)
			progress = true
		}
		if !progress {
			return nil
		}
	}
	return nil
}
