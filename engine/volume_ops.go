package engine

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// VolumeCreateOptions are `volume create`'s options.
type VolumeCreateOptions struct {
	Name    string // "" for a random 64-hex name
	Driver  string // "" or "local"
	Labels  map[string]string
	Options map[string]string // --opt: o=uid=N,gid=N
}

// VolumeCreate makes a named volume.
func (r *Runtime) VolumeCreate(o VolumeCreateOptions) (*Volume, error) {
	v, err := newVolume(o)
	if err != nil {
		return nil, err
	}
	s := r.volumes()
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.sweep()
	if err := s.create(v); err != nil {
		return nil, err
	}
	return v, nil
}

// newVolume checks o and builds the record of the volume it asks for.
func newVolume(o VolumeCreateOptions) (*Volume, error) {
	if o.Driver != "" && o.Driver != "local" {
		return nil, fmt.Errorf("volume driver %q: only the local driver is supported: %w", o.Driver, ErrInvalidArg)
	}
	name := o.Name
	if name == "" {
		name = newVolumeName()
	} else if err := ValidVolumeName(name); err != nil {
		return nil, err
	}
	v := &Volume{
		Name: name, Driver: "local", Scope: "local", CreatedAt: time.Now().UTC(),
		Labels: map[string]string{}, Options: map[string]string{}, NeedsCopyUp: true, NeedsChown: true,
	}
	for k, val := range o.Labels {
		v.Labels[k] = val
	}
	for k, val := range o.Options {
		if err := volumeOpt(v, k, val); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// volumeOpt applies one --opt. podman's local driver can also mount a device or a
// filesystem (type=, device=) into the volume; that is not supported here, and
// saying so beats a volume that silently is a plain directory.
func volumeOpt(v *Volume, k, val string) error {
	if k != "o" {
		return fmt.Errorf("invalid mount option %s for driver 'local' (only o=uid=N,gid=N is supported): %w", k, ErrInvalidArg)
	}
	v.Options["o"] = val
	for _, kv := range strings.Split(val, ",") {
		key, n, _ := strings.Cut(kv, "=")
		id, err := strconv.ParseUint(n, 10, 32)
		if (key != "uid" && key != "gid") || err != nil {
			return fmt.Errorf("invalid volume option o=%s (only uid=N and gid=N are supported): %w", val, ErrInvalidArg)
		}
		v.Options[strings.ToUpper(key)] = n
		if key == "uid" {
			v.UID = int(id)
		} else {
			v.GID = int(id)
		}
		v.NeedsChown = false
	}
	return nil
}

// Volume returns the named volume.
func (r *Runtime) Volume(name string) (*Volume, error) {
	v, err := r.volumes().get(name)
	if err != nil {
		return nil, err
	}
	users, err := r.volumeUsers()
	if err != nil {
		return nil, err
	}
	v.MountCount = runningCount(users[name])
	return v, nil
}

// runningCount is how many of ctrs run: the volume's MountCount, as podman counts.
func runningCount(ctrs []*Container) uint {
	var n uint
	for _, c := range ctrs {
		if st, err := c.State(); err == nil && st.Running() {
			n++
		}
	}
	return n
}

// VolumeExists tells whether the named volume exists.
func (r *Runtime) VolumeExists(name string) (bool, error) {
	_, err := r.volumes().get(name)
	if errors.Is(err, ErrNoSuchVolume) {
		return false, nil
	}
	return err == nil, err
}

// Volumes lists the volumes that pass every filter (KEY=VALUE; values of one key
// are ORed, keys ANDed, as podman): name (regular expression), label (KEY or
// KEY=VALUE), dangling (true/false), driver, scope, anonymous.
func (r *Runtime) Volumes(filters []string) ([]*Volume, error) {
	f, err := parseVolumeFilters(filters)
	if err != nil {
		return nil, err
	}
	all, err := r.volumes().list()
	if err != nil {
		return nil, err
	}
	users, err := r.volumeUsers()
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, v := range all {
		if f.match(v, len(users[v.Name]) > 0) {
			v.MountCount = runningCount(users[v.Name])
			out = append(out, v)
		}
	}
	return out, nil
}

// volumeUsers maps each volume name to the containers whose config mounts it.
func (r *Runtime) volumeUsers() (map[string][]*Container, error) {
	ctrs, err := r.List()
	if err != nil {
		return nil, err
	}
	users := map[string][]*Container{}
	for _, c := range ctrs {
		for _, m := range c.Config.Mounts.Mounts {
			if m.Type == MountVolume {
				users[m.Source] = append(users[m.Source], c)
			}
		}
	}
	return users, nil
}

// VolumeRemove removes the named volume. A volume that containers use is refused
// (ErrVolumeInUse) unless force, which removes those containers first, as podman.
func (r *Runtime) VolumeRemove(name string, force bool) error {
	if _, err := r.volumes().get(name); err != nil {
		return err
	}
	users, err := r.volumeUsers()
	if err != nil {
		return err
	}
	if us := users[name]; len(us) > 0 {
		if !force {
			return inUseError(name, us)
		}
		for _, c := range us {
			if err := c.RemoveWith(true, false); err != nil && !errors.Is(err, ErrNoSuchContainer) {
				return fmt.Errorf("removing container %s that uses volume %s: %w", c.Name, name, err)
			}
		}
	}
	return r.removeUnused(name)
}

// removeUnused removes the volume if, under the volume lock, no container uses it.
func (r *Runtime) removeUnused(name string) error {
	s := r.volumes()
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.get(name); err != nil {
		return err
	}
	users, err := r.volumeUsers()
	if err != nil {
		return err
	}
	if us := users[name]; len(us) > 0 {
		return inUseError(name, us)
	}
	return s.remove(name)
}

func inUseError(name string, users []*Container) error {
	ids := make([]string, len(users))
	for i, c := range users {
		ids[i] = c.ID
	}
	return fmt.Errorf("volume %s is being used by the following container(s): %s: %w", name, strings.Join(ids, ", "), ErrVolumeInUse)
}

// VolumePrune removes every volume no container uses (and that passes filters),
// and returns their names.
func (r *Runtime) VolumePrune(filters []string) ([]string, error) {
	vols, err := r.Volumes(append([]string{"dangling=true"}, filters...))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, v := range vols {
		if err := r.removeUnused(v.Name); err != nil {
			if !errors.Is(err, ErrVolumeInUse) && !errors.Is(err, ErrNoSuchVolume) {
				errs = append(errs, err)
			}
			continue
		}
		removed = append(removed, v.Name)
	}
	return removed, errors.Join(errs...)
}
