package engine

import (
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NetOptions are the network flags of create/run (issue #5): --network, -p, -P, --ip,
// --mac-address, --network-alias, --dns*, --add-host.
type NetOptions struct {
	Network string // none (the default until CNI networking lands), host, ...
}

// NetConfig is what Create kept of NetOptions.
type NetConfig struct{}

// applyNet validates o (against the image's EXPOSE for -P) and records it in cfg.
func (r *Runtime) applyNet(cfg *Config, o NetOptions, ic imgspec.ImageConfig) error {
	cfg.Network = o.Network
	return nil
}

// specNet sets the container's network namespace up (before the monitor starts)
// and points spec at it; it also writes /etc/hosts, /etc/hostname and
// /etc/resolv.conf into runDir and mounts them.
func (c *Container) specNet(spec *specs.Spec, runDir, hostname string) error {
	etc, err := writeEtcFiles(runDir, hostname)
	if err != nil {
		return err
	}
	spec.Mounts = append(spec.Mounts, etc...)
	return nil
}

// teardownNet releases what specNet set up; idempotent, also after a crash.
func (c *Container) teardownNet() error { return nil }

// inspectNet fills the network parts of inspect.
func (c *Container) inspectNet(d *InspectData) {}
