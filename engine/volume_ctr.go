package engine

import (
	"errors"
	"fmt"
)

// The volumes of containers: made for a container's mounts, removed with it.

// CreateVolumes makes the volumes the container's mounts refer to that do not
// exist yet, as podman does at create. Create should call it once the container's
// record exists (not wired yet: engine/create.go is not this file's owner's);
// until then the first start makes them.
func (c *Container) CreateVolumes() error { return c.r.ensureVolumes(c.Config.Mounts.Mounts) }

// ensureVolumes makes the volumes mounts refer to that do not exist yet.
func (r *Runtime) ensureVolumes(mounts []Mount) error {
	var need []Mount
	for _, m := range mounts {
		if m.Type == MountVolume {
			need = append(need, m)
		}
	}
	if len(need) == 0 {
		return nil
	}
	s := r.volumes()
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, m := range need {
		if _, err := s.get(m.Source); err == nil {
			continue
		} else if !errors.Is(err, ErrNoSuchVolume) {
			return err
		}
		v, err := newVolume(VolumeCreateOptions{Name: m.Source})
		if err != nil {
			return err
		}
		v.Anonymous = m.Anonymous
		if err := s.create(v); err != nil && !errors.Is(err, ErrVolumeExists) {
			return fmt.Errorf("creating volume for %s: %w", m.Destination, err)
		}
	}
	return nil
}

// removeAnonymous removes the anonymous volumes of mounts that no container uses
// any more (rm -v, --rm); a volume another container shares through
// --volumes-from stays.
func (r *Runtime) removeAnonymous(mounts []Mount) error {
	var errs []error
	for _, m := range mounts {
		if m.Type != MountVolume || !m.Anonymous {
			continue
		}
		err := r.removeUnused(m.Source)
		if err != nil && !errors.Is(err, ErrVolumeInUse) && !errors.Is(err, ErrNoSuchVolume) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
