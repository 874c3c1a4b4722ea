package engine

import (
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MountOptions are the mount flags of create/run (issue #4): -v, --mount, --tmpfs,
// --volumes-from, --read-only.
type MountOptions struct{}

// MountConfig is what Create kept of MountOptions, in the container's Config.
type MountConfig struct{}

// applyMounts validates o against the image (its VOLUME entries) and records it in cfg.
func (r *Runtime) applyMounts(cfg *Config, o MountOptions, ic imgspec.ImageConfig) error {
	return nil
}

// specMounts adds the container's mounts to spec; rootfs is the mounted rootfs.
func (c *Container) specMounts(spec *specs.Spec, rootfs string) error { return nil }

// releaseMounts runs when the container is removed; anonymous volumes go with
// removeAnon (rm -v, --rm).
func (c *Container) releaseMounts(removeAnon bool) error { return nil }

// inspectMounts fills the mount parts of inspect.
func (c *Container) inspectMounts(d *InspectData) {}
