package engine

import (
	"fmt"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// specSecurity applies the isolation settings to spec (after the defaults of
// buildSpec): namespaces, capabilities, then seccomp (which depends on them),
// masked paths, devices, sysctls and groups.
func (c *Container) specSecurity(spec *specs.Spec, rootfs string) error {
	sc := &c.Config.Security
	if err := c.specNamespaces(spec); err != nil {
		return err
	}
	if err := sc.specCaps(spec.Process); err != nil {
		return err
	}
	spec.Process.NoNewPrivileges = sc.NoNewPrivileges
	if err := sc.specSeccomp(spec); err != nil {
		return err
	}
	spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths = sc.maskedAndReadonly()
	if sc.Privileged {
		privilegedMounts(spec.Mounts)
	}
	if err := sc.specDevices(spec, c.r.rootless); err != nil {
		return err
	}
	if err := c.specSysctls(spec); err != nil {
		return err
	}
	return sc.specGroups(spec.Process, rootfs)
}

// privilegedMounts makes /sys and the cgroup tree writable, as podman's --privileged.
func privilegedMounts(mounts []specs.Mount) {
	for i := range mounts {
		if mounts[i].Destination == "/sys" || mounts[i].Destination == "/sys/fs/cgroup" {
			mounts[i].Options = slices.DeleteFunc(slices.Clone(mounts[i].Options), func(o string) bool { return o == "ro" })
			mounts[i].Options = append(mounts[i].Options, "rw")
		}
	}
}

// specGroups adds --group-add groups, by number or by name in the image's
// /etc/group (resolved inside the rootfs).
func (sc *SecurityConfig) specGroups(p *specs.Process, rootfs string) error {
	if len(sc.GroupAdd) == 0 {
		return nil
	}
	groupFile, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return err
	}
	gids, err := user.GetAdditionalGroupsPath(sc.GroupAdd, groupFile)
	if err != nil {
		return fmt.Errorf("--group-add: %v: %w", err, ErrInvalidArg)
	}
	for _, g := range gids {
		if !slices.Contains(p.User.AdditionalGids, uint32(g)) {
			p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
		}
	}
	return nil
}

func validGroups(groups []string) error {
	for _, g := range groups {
		if g == "" || strings.ContainsAny(g, ": \t") {
			return fmt.Errorf("invalid --group-add %q: want a group name or number: %w", g, ErrInvalidArg)
		}
	}
	return nil
}

// specSysctls sets the --sysctl values; net.* ones need a network namespace of
// the container's own, which is decided by the network options.
func (c *Container) specSysctls(spec *specs.Spec) error {
	sc := &c.Config.Security
	if len(sc.Sysctls) == 0 {
		return nil
	}
	hostNet := c.Config.Network == "host" || !slices.ContainsFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.NetworkNamespace
	})
	if spec.Linux.Sysctl == nil {
		spec.Linux.Sysctl = map[string]string{}
	}
	for k, v := range sc.Sysctls {
		if hostNet && strings.HasPrefix(k, "net.") {
			return fmt.Errorf("sysctl %s=%s can't be set since Network Namespace set to host: %w", k, v, ErrInvalidArg)
		}
		spec.Linux.Sysctl[k] = v
	}
	return nil
}
