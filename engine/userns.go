package engine

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
	"go.podman.io/storage/pkg/unshare"
)

// UserNS is a parsed --userns value: the container's own user namespace, as podman
// makes it. "" and host: none (rootless: the user's namespace every container
// shares). keep-id (rootless): the user's own uid and gid are the same inside the
// container, the other ids map to the user's subordinate ranges. auto: a free range
// of subordinate ids, picked by containers/storage under its lock so that no two
// containers share one (root: the ranges of the user "containers" in /etc/subuid
// and /etc/subgid, as podman; rootless: the user's own ranges).
type UserNS struct {
	Mode     string // "", host, keep-id, auto
	UID, GID int    // keep-id:uid=,gid=: the ids inside the container (default: the user's)
	Size     uint32 // auto:size=
}

// parseUserNS reads --userns host|keep-id[:uid=U,gid=G]|auto[:size=N].
func parseUserNS(s string) (UserNS, error) {
	mode, opts, _ := strings.Cut(s, ":")
	u := UserNS{Mode: mode, UID: -1, GID: -1}
	bad := func(why string) (UserNS, error) {
		return u, fmt.Errorf("invalid --userns %q: %s: %w", s, why, ErrInvalidArg)
	}
	switch mode {
	case "", "host":
		if opts != "" {
			return bad("host takes no options")
		}
		return u, nil
	case "keep-id", "auto":
	default:
		return bad("want host, keep-id or auto")
	}
	if opts == "" {
		return u, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(o, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return bad(fmt.Sprintf("option %q is not KEY=NUMBER", o))
		}
		switch {
		case mode == "keep-id" && k == "uid":
			u.UID = int(n)
		case mode == "keep-id" && k == "gid":
			u.GID = int(n)
		case mode == "auto" && k == "size" && n > 0:
			u.Size = uint32(n)
		default:
			return bad(fmt.Sprintf("unknown option %q", o))
		}
	}
	return u, nil
}

// validUserNS checks --userns on its own (Parse).
func validUserNS(s string) error {
	_, err := parseUserNS(s)
	return err
}

// checkUserNS refuses what the mode cannot do for this user, before anything exists.
func (r *Runtime) checkUserNS(s string) error {
	u, err := parseUserNS(s)
	if err != nil {
		return err
	}
	switch u.Mode {
	case "keep-id":
		if !r.rootless {
			return fmt.Errorf("keep-id is only supported in rootless mode: %w", ErrInvalidArg)
		}
	case "auto":
		if !r.rootless {
			if _, err := idtools.NewIDMappings(cstorage.RootAutoUserNsUser, cstorage.RootAutoUserNsUser); err != nil {
				return fmt.Errorf("--userns=auto: no subordinate ids for the user %q in /etc/subuid and /etc/subgid: %w",
					cstorage.RootAutoUserNsUser, ErrInvalidArg)
			}
		}
	}
	return nil
}

// storageIDOptions are the id mappings containers/storage gives the container's
// layer (shifted with idmapped mounts where the kernel can, or a chowned copy of
// the image's layers).
func (r *Runtime) storageIDOptions(cfg *Config) (cstorage.IDMappingOptions, error) {
	var o cstorage.IDMappingOptions
	u, err := parseUserNS(cfg.Security.UserNS)
	if err != nil {
		return o, err
	}
	switch u.Mode {
	case "auto":
		o.AutoUserNs = true
		o.AutoUserNsOpts.Size = u.Size
	case "keep-id":
		uids, gids, err := keepIDMappings(u)
		if err != nil {
			return o, err
		}
		o.UIDMap, o.GIDMap = uids, gids
	}
	return o, nil
}

// keepIDMappings maps the user's own id (0 in the rootless namespace, where engine
// runs) to the same number inside the container (or keep-id:uid=), and the ids below
// and above it to the user's subordinate ids, as podman's keep-id.
func keepIDMappings(u UserNS) (uids, gids []idtools.IDMap, err error) {
	hostUID, hostGID := unshare.GetRootlessUID(), unshare.GetRootlessGID()
	if u.UID < 0 {
		u.UID = hostUID
	}
	if u.GID < 0 {
		u.GID = hostGID
	}
	nu, err := mappedIDs("/proc/self/uid_map")
	if err != nil {
		return nil, nil, err
	}
	ng, err := mappedIDs("/proc/self/gid_map")
	if err != nil {
		return nil, nil, err
	}
	return keepID(u.UID, nu), keepID(u.GID, ng), nil
}

// keepID maps inner id to 0 of the namespace that has n ids (0..n-1), and the
// ids 0..n-2 of the container, skipping id, to 1..n-1.
func keepID(id, n int) []idtools.IDMap {
	m := []idtools.IDMap{{ContainerID: id, HostID: 0, Size: 1}}
	below := min(id, n-1)
	if below > 0 {
		m = append(m, idtools.IDMap{ContainerID: 0, HostID: 1, Size: below})
	}
	if above := n - 1 - below; above > 0 {
		m = append(m, idtools.IDMap{ContainerID: id + 1, HostID: id + 1, Size: above})
	}
	return m
}

// mappedIDs counts the ids of this process's user namespace.
func mappedIDs(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 {
			size, _ := strconv.Atoi(fields[2])
			n += size
		}
	}
	return n, sc.Err()
}

// specUserNS gives the container its user namespace when it has mappings, runs a
// keep-id container as the user, and lets the container's root own the files engine
// writes for it (its /etc/hosts, /etc/hostname, /etc/resolv.conf).
func (c *Container) specUserNS(spec *specs.Spec, rootfs, runDir string) error {
	sc := &c.Config.Security
	if len(sc.UIDMap) == 0 {
		return nil
	}
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings, spec.Linux.GIDMappings = sc.UIDMap, sc.GIDMap
	sysfsForJoinedNetNS(spec)
	rootUID, rootGID := hostID(sc.UIDMap, 0), hostID(sc.GIDMap, 0)
	if err := c.r.traversableForUserNS(rootfs, runDir); err != nil {
		return err
	}
	for _, m := range spec.Mounts {
		if filepath.Dir(m.Source) == runDir {
			if err := os.Lchown(m.Source, rootUID, rootGID); err != nil {
				return fmt.Errorf("chown %s for the container's user namespace: %w", m.Source, err)
			}
		}
	}
	if u, _ := parseUserNS(sc.UserNS); u.Mode == "keep-id" && c.Config.User == "" {
		return c.keepIDUser(spec, rootfs, runDir, u)
	}
	return nil
}

// keepIDUser runs the process as the user (keep-id with no -u), named as on the
// host: when the image's /etc/passwd lacks the id, a copy with the user added is
// mounted over it, as podman does.
func (c *Container) keepIDUser(spec *specs.Spec, rootfs, runDir string, u UserNS) error {
	uid, gid := u.UID, u.GID
	if uid < 0 {
		uid = unshare.GetRootlessUID()
	}
	if gid < 0 {
		gid = unshare.GetRootlessGID()
	}
	p := spec.Process
	p.User = specs.User{UID: uint32(uid), GID: uint32(gid)}
	p.Capabilities.Effective, p.Capabilities.Permitted = nil, nil
	name, home := "user", "/"
	if hu, err := user.LookupId(strconv.Itoa(unshare.GetRootlessUID())); err == nil {
		name, home = hu.Username, hu.HomeDir
	}
	p.Env = setEnv(p.Env, "HOME="+home)
	passwd, err := resolveUser(rootfs, strconv.Itoa(uid))
	if err == nil && passwd.Home != "/" {
		p.Env = setEnv(p.Env, "HOME="+passwd.Home)
		return nil // the image knows the user
	}
	old, _ := readInRootfs(rootfs, "/etc/passwd")
	if strings.Contains("\n"+string(old), fmt.Sprintf("\n%s:", name)) {
		name = "user" + strconv.Itoa(uid)
	}
	entry := fmt.Sprintf("%s:*:%d:%d:%s:%s:/bin/sh\n", name, uid, gid, name, home)
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	dst := filepath.Join(runDir, "passwd")
	if err := writeFileAtomic(dst, append(old, entry...), 0o644); err != nil {
		return fmt.Errorf("keep-id: writing /etc/passwd: %w", err)
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/etc/passwd", Type: "bind", Source: dst, Options: []string{"bind", "ro"}})
	return nil
}

// hostID is the id that the container's id maps to.
func hostID(m []specs.LinuxIDMapping, id uint32) int {
	for _, e := range m {
		if id >= e.ContainerID && id < e.ContainerID+e.Size {
			return int(e.HostID + id - e.ContainerID)
		}
	}
	return -1
}

// specIDMappings converts containers/storage's mappings.
func specIDMappings(m []idtools.IDMap) []specs.LinuxIDMapping {
	out := make([]specs.LinuxIDMapping, 0, len(m))
	for _, e := range m {
		out = append(out, specs.LinuxIDMapping{ContainerID: uint32(e.ContainerID), HostID: uint32(e.HostID), Size: uint32(e.Size)})
	}
	return out
}

// readInRootfs reads a file of the image, resolved inside rootfs.
func readInRootfs(rootfs, path string) ([]byte, error) {
	p, err := securejoin.SecureJoin(rootfs, path)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// traversableForUserNS lets the container's root, an unprivileged id on the host,
// reach its rootfs and the files mounted from its run directory: libcontainer makes
// those mounts inside the user namespace. As podman, the store's roots and the
// container's directories become 0711 (search only: nothing can be listed).
func (r *Runtime) traversableForUserNS(rootfs, runDir string) error {
	layer := filepath.Dir(rootfs)
	dirs := []string{r.paths.GraphRoot, filepath.Dir(layer), layer,
		r.paths.RunRoot, filepath.Dir(filepath.Dir(runDir)), filepath.Dir(runDir), runDir}
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("user namespace: %w", err)
		}
		if fi.Mode().Perm()&0o011 == 0o011 {
			continue
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o711); err != nil {
			return fmt.Errorf("user namespace: making %s searchable: %w", d, err)
		}
	}
	return nil
}

// sysfsForJoinedNetNS: sysfs can be mounted only by the user namespace that owns
// the network namespace; a container in its own user namespace that joins one made
// before it (a CNI network, the host's, another container's) gets the host's /sys
// bound read-only instead, as podman does.
func sysfsForJoinedNetNS(spec *specs.Spec) {
	own := false
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace && ns.Path == "" {
			own = true
		}
	}
	if !own {
		bindSys(spec)
	}
}
