package engine

import (
	"fmt"
	"strings"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NamespaceMode is --pid, --ipc or --uts: "" for a namespace of its own, "host",
// or "container:ID" to join another running container's.
type NamespaceMode string

// Host tells whether the container shares the host's namespace.
func (m NamespaceMode) Host() bool { return m == "host" }

// Container is the id of the container whose namespace is joined, if any.
func (m NamespaceMode) Container() (string, bool) {
	return strings.CutPrefix(string(m), "container:")
}

// parseNamespaceMode checks the syntax; private and shareable (ipc) are the default.
func parseNamespaceMode(kind, s string) (NamespaceMode, error) {
	switch {
	case s == "" || s == "private" || (kind == "ipc" && s == "shareable"):
		return "", nil
	case s == "host":
		return NamespaceMode(s), nil
	case strings.HasPrefix(s, "container:") && len(s) > len("container:"):
		return NamespaceMode(s), nil
	}
	return "", fmt.Errorf("unrecognized namespace mode %s passed to --%s: %w", s, kind, ErrInvalidArg)
}

// resolveNamespaceMode turns container:NAME into container:ID of a running container.
func (r *Runtime) resolveNamespaceMode(kind string, m *NamespaceMode) error {
	name, ok := m.Container()
	if !ok {
		return nil
	}
	c, err := r.runningContainer(kind, name)
	if err != nil {
		return err
	}
	*m = NamespaceMode("container:" + c.ID)
	return nil
}

// runningContainer looks up the container whose kind namespace is joined.
func (r *Runtime) runningContainer(kind, name string) (*Container, error) {
	c, err := r.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("looking up container to share %s namespace with: %w", kind, err)
	}
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	if !st.Running() || st.Pid == 0 {
		return nil, fmt.Errorf("cannot share the %s namespace of container %s: it is not running: %w", kind, c.Name, ErrCtrStateInvalid)
	}
	return c, nil
}

// nsKinds maps the flags to the OCI namespace types and /proc/PID/ns names.
var nsKinds = []struct {
	kind  string
	typ   specs.LinuxNamespaceType
	field func(*SecurityConfig) *NamespaceMode
}{
	{"pid", specs.PIDNamespace, func(sc *SecurityConfig) *NamespaceMode { return &sc.PID }},
	{"ipc", specs.IPCNamespace, func(sc *SecurityConfig) *NamespaceMode { return &sc.IPC }},
	{"uts", specs.UTSNamespace, func(sc *SecurityConfig) *NamespaceMode { return &sc.UTS }},
}

// specNamespaces applies the namespace modes to buildSpec's private namespaces and
// adds a cgroup namespace on cgroup v2 (podman's default there; on v1 it is "host").
func (c *Container) specNamespaces(spec *specs.Spec) error {
	sc := &c.Config.Security
	for _, k := range nsKinds {
		mode := *k.field(sc)
		switch id, joins := mode.Container(); {
		case mode.Host():
			spec.Linux.Namespaces = removeNamespace(spec.Linux.Namespaces, k.typ)
		case joins:
			other, err := c.r.runningContainer(k.kind, id)
			if err != nil {
				return err
			}
			pid, err := other.pid()
			if err != nil {
				return err
			}
			setNamespacePath(spec.Linux, k.typ, fmt.Sprintf("/proc/%d/ns/%s", pid, k.kind))
		}
	}
	if _, joins := sc.UTS.Container(); joins || sc.UTS.Host() {
		// No UTS namespace of its own: libcontainer must not set a hostname in
		// the host's or the other container's.
		spec.Hostname = ""
	}
	if sc.PID.Host() && c.r.rootless {
		hostProc(spec.Mounts)
	}
	if cgroups.IsCgroup2UnifiedMode() {
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return c.specIPCMounts(spec)
}

// pid is the host pid of the container's init.
func (c *Container) pid() (int, error) {
	st, err := c.State()
	if err != nil {
		return 0, err
	}
	if st.Pid == 0 {
		return 0, fmt.Errorf("container %s is not running: %w", c.Name, ErrCtrStateInvalid)
	}
	return st.Pid, nil
}

func removeNamespace(nss []specs.LinuxNamespace, t specs.LinuxNamespaceType) []specs.LinuxNamespace {
	out := nss[:0:0]
	for _, ns := range nss {
		if ns.Type != t {
			out = append(out, ns)
		}
	}
	return out
}

func setNamespacePath(l *specs.Linux, t specs.LinuxNamespaceType, path string) {
	for i := range l.Namespaces {
		if l.Namespaces[i].Type == t {
			l.Namespaces[i].Path = path
			return
		}
	}
	l.Namespaces = append(l.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

// specIPCMounts gives a container in the host's IPC namespace the host's /dev/shm.
// A container that joins another's IPC namespace gets its /dev/shm from specShm.
func (c *Container) specIPCMounts(spec *specs.Spec) error {
	if !c.Config.Security.IPC.Host() {
		return nil
	}
	out := spec.Mounts[:0:0]
	for _, m := range spec.Mounts {
		switch {
		case m.Destination == "/dev/shm":
			m = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
		case m.Destination == "/dev/mqueue" && c.r.rootless:
			// A new mqueue mount needs privilege over the host's IPC namespace:
			// bind the host's, if it has one.
			if !fileExists("/dev/mqueue") {
				continue
			}
			m = specs.Mount{Destination: "/dev/mqueue", Type: "bind", Source: "/dev/mqueue", Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
		}
		out = append(out, m)
	}
	spec.Mounts = out
	return nil
}

// hostProc bind-mounts the host's /proc for a rootless container in the host's
// PID namespace: a new proc mount needs privilege over that namespace's owner,
// the initial user namespace (podman does the same).
func hostProc(mounts []specs.Mount) {
	for i := range mounts {
		if mounts[i].Destination == "/proc" {
			mounts[i] = specs.Mount{Destination: "/proc", Type: "bind", Source: "/proc", Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
		}
	}
}
