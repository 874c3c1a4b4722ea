package engine

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ResourceOptions are the cgroup and rlimit flags of create/run (issue #4).
type ResourceOptions struct{}

// ResourceConfig is what Create kept of ResourceOptions.
type ResourceConfig struct{}

// applyResources validates o and records it in cfg.
func (r *Runtime) applyResources(cfg *Config, o ResourceOptions) error { return nil }

// specResources puts the limits into spec.
func (c *Container) specResources(spec *specs.Spec) error { return nil }

// inspectResources fills the resource parts of inspect.
func (c *Container) inspectResources(d *InspectData) {}
