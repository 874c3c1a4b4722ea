package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultCaps is docker's default capability set.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// buildSpec makes the OCI spec of a container whose rootfs is mounted at rootfs.
func (c *Container) buildSpec(rootfs, runDir string) (*specs.Spec, error) {
	cfg := c.Config
	proc, err := c.process(rootfs)
	if err != nil {
		return nil, err
	}
	hostname := cfg.Hostname
	if hostname == "" {
		hostname = shortID(c.ID)
	}
	spec := &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: rootfs},
		Process:  proc,
		Hostname: hostname,
		Mounts:   defaultMounts(c.r.rootless),
		Linux: &specs.Linux{
			// Masked and read-only paths: specSecurity (security_defaults.go).
			Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
		},
	}
	if !c.r.rootless {
		spec.Linux.CgroupsPath = "/engine/" + c.ID
	}
	if err := c.specMounts(spec, rootfs); err != nil {
		return nil, err
	}
	if err := c.specResources(spec); err != nil {
		return nil, err
	}
	if err := c.specSecurity(spec, rootfs); err != nil {
		return nil, err
	}
	if err := c.specShm(spec, runDir); err != nil {
		return nil, err
	}
	if err := c.specNotify(spec, runDir); err != nil {
		return nil, err
	}
	if err := c.specNet(spec, runDir, hostname); err != nil {
		return nil, err
	}
	if err := c.specUserNS(spec, rootfs, runDir); err != nil {
		return nil, err
	}
	if cfg.Init {
		initBin, err := c.r.initBinary()
		if err != nil {
			return nil, err
		}
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: initPath, Type: "bind", Source: initBin, Options: []string{"bind", "ro"}})
		spec.Process.Args = append([]string{initPath, "--"}, spec.Process.Args...)
	}
	spec.Process.Env = setEnv(spec.Process.Env, "HOSTNAME="+hostname)
	return spec, nil
}

// initPath is where --init's binary appears in the container.
const initPath = "/run/engine-init"

// initBinary finds engine-init: next to the engine binary (a build tree) or in
// ../libexec/engine/ (an install).
func (r *Runtime) initBinary() (string, error) {
	dir := filepath.Dir(r.exe)
	for _, p := range []string{filepath.Join(dir, "engine-init"), filepath.Join(dir, "..", "libexec", "engine", "engine-init")} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("--init: engine-init not found next to %s or in ../libexec/engine: %w", r.exe, ErrInvalidArg)
}

// process resolves the user in the image's /etc/passwd and fills in the process.
func (c *Container) process(rootfs string) (*specs.Process, error) {
	cfg := c.Config
	env := append([]string{}, cfg.Env...)
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if cfg.TTY && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	u, err := resolveUser(rootfs, cfg.User)
	if err != nil {
		return nil, err
	}
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	cwd := cfg.WorkDir
	if cwd == "" {
		cwd = "/"
	}
	var nofile unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile); err != nil {
		return nil, fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	p := &specs.Process{
		Terminal: cfg.TTY,
		Args:     cfg.Args,
		Env:      env,
		Cwd:      cwd,
		User:     specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid)},
		Capabilities: &specs.LinuxCapabilities{
			Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps,
		},
		// The current hard limit, never above it: this machine's root cannot raise it.
		Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: nofile.Max, Soft: nofile.Max}},
	}
	for _, g := range u.Sgids {
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if u.Uid != 0 {
		// A non-root user gets no effective capabilities, as with docker.
		p.Capabilities.Effective, p.Capabilities.Permitted = nil, nil
	}
	return p, nil
}

// resolveUser reads user[:group] against the image's passwd and group files, which
// are resolved inside rootfs so that a symlink cannot point them at the host.
func resolveUser(rootfs, spec string) (*user.ExecUser, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	def := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	u, err := user.GetExecUserPath(spec, def, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("invalid user %q: %v: %w", spec, err, ErrInvalidArg)
	}
	return u, nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

func defaultMounts(rootless bool) []specs.Mount {
	m := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
	if !rootless {
		// gid=5 is the tty group of most images; a rootless user namespace may not map it.
		m[2].Options = append(m[2].Options, "gid=5")
		m = append(m, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}})
	}
	return m
}
