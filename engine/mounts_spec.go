package engine

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// readOnlyTmpfs are the writable tmpfs of --read-only (podman's --read-only-tmpfs).
var readOnlyTmpfs = []string{"/tmp", "/var/tmp", "/run"}

// specMounts adds the container's mounts to spec; rootfs is the mounted rootfs.
// Destinations are plain container paths: libcontainer resolves them inside the
// rootfs itself (securejoin, then checks the result through /proc/self/fd), so an
// image symlink cannot make a mount land on the host. New volumes are filled from
// the image here, where the rootfs is mounted.
func (c *Container) specMounts(spec *specs.Spec, rootfs string) error {
	mc := c.Config.Mounts
	var user []specs.Mount
	for _, m := range mc.Mounts {
		sm, err := c.specMount(m, rootfs, spec.Process.User)
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.Destination, err)
		}
		user = append(user, sm)
	}
	if mc.ReadOnly {
		spec.Root.Readonly = true
		if mc.ReadOnlyTmpfs {
			user = append(user, readOnlyTmpfsMounts(mc.Mounts)...)
		}
	}
	// Parents before children, whatever order the flags came in (docker sorts so too).
	sort.SliceStable(user, func(i, j int) bool { return depth(user[i].Destination) < depth(user[j].Destination) })
	spec.Mounts = append(dropDestinations(spec.Mounts, user), user...)
	return nil
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

// dropDestinations removes the default mounts a user mount replaces (--tmpfs
// /dev/shm, say).
func dropDestinations(defaults, user []specs.Mount) []specs.Mount {
	taken := map[string]bool{}
	for _, m := range user {
		taken[m.Destination] = true
	}
	var out []specs.Mount
	for _, m := range defaults {
		if !taken[m.Destination] {
			out = append(out, m)
		}
	}
	return out
}

func readOnlyTmpfsMounts(own []Mount) []specs.Mount {
	taken := map[string]bool{}
	for _, m := range own {
		taken[m.Destination] = true
	}
	var out []specs.Mount
	for _, d := range readOnlyTmpfs {
		if !taken[d] {
			out = append(out, specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs",
				Options: []string{"rw", "nosuid", "nodev"}})
		}
	}
	return out
}

// specMount turns one mount into its OCI form, preparing volumes and U on the way.
func (c *Container) specMount(m Mount, rootfs string, u specs.User) (specs.Mount, error) {
	switch m.Type {
	case MountTmpfs:
		opts := append([]string{"nosuid", "nodev"}, m.Options...)
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		return specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts}, nil
	case MountVolume:
		src, err := c.prepareVolume(m, rootfs, u)
		if err != nil {
			return specs.Mount{}, err
		}
		return bindMount(m, src, []string{"nosuid", "nodev"}), nil
	case MountBind:
		if err := prepareBindSource(m, u); err != nil {
			return specs.Mount{}, err
		}
		return bindMount(m, m.Source, nil), nil
	}
	return specs.Mount{}, fmt.Errorf("unknown mount type %q: %w", m.Type, ErrInvalidArg)
}

// bindMount is a recursive bind of src with m's mode, propagation and flags.
func bindMount(m Mount, src string, base []string) specs.Mount {
	prop := m.Propagation
	if prop == "" {
		prop = "rprivate"
	}
	opts := append(append([]string{"rbind", prop}, base...), m.Options...)
	if m.ReadOnly {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "rw")
	}
	return specs.Mount{Destination: m.Destination, Type: "bind", Source: src, Options: opts}
}
