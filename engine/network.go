package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/engine-dev/engine/netcni"
)

// NetOptions are the network flags of create/run (issue #5).
type NetOptions struct {
	Networks   []string // --network/--net, repeatable: bridge, none, host, container:NAME, slirp4netns, NAME
	Aliases    []string // --network-alias
	IP         string   // --ip
	MAC        string   // --mac-address
	Publish    []string // -p
	PublishAll bool     // -P
	Expose     []string // --expose PORT[-PORT][/PROTO]
	DNS        []string
	DNSSearch  []string
	DNSOptions []string
	AddHosts   []string
}

// Network modes of a container.
const (
	NetBridge    = "bridge" // CNI networks (the default network or named ones)
	NetNone      = "none"
	NetHost      = "host"
	NetContainer = "container"
	NetSlirp     = "slirp4netns"
)

// NetConfig is what Create kept of NetOptions.
type NetConfig struct {
	Mode       string               `json:"mode,omitempty"`
	Networks   []netcni.Request     `json:"networks,omitempty"`
	Container  string               `json:"container,omitempty"` // id, for container:NAME
	Ports      []netcni.PortMapping `json:"ports,omitempty"`
	Exposed    []string             `json:"exposed,omitempty"` // image EXPOSE + --expose: "80/tcp"
	DNS        []string             `json:"dns,omitempty"`
	DNSSearch  []string             `json:"dnsSearch,omitempty"`
	DNSOptions []string             `json:"dnsOptions,omitempty"`
	AddHosts   []string             `json:"addHosts,omitempty"`
}

// Networks returns the store's network manager (netcni).
func (r *Runtime) Networks() *netcni.Manager {
	return netcni.New(netcni.Options{GraphRoot: r.store.GraphRoot(), RunRoot: r.store.RunRoot(), Rootless: r.rootless, Exe: r.exe})
}

// applyNet validates o (against the image's EXPOSE for -P) and records it in cfg.
func (r *Runtime) applyNet(cfg *Config, o NetOptions, ic imgspec.ImageConfig) error {
	nc, err := r.netMode(o.Networks)
	if err != nil {
		return err
	}
	if err := r.netRequests(&nc, o); err != nil {
		return err
	}
	if nc.Exposed, err = exposedPorts(o, ic); err != nil {
		return err
	}
	if nc.Ports, err = parsePorts(o, nc.Exposed); err != nil {
		return err
	}
	if len(nc.Ports) > 0 && (nc.Mode == NetNone || nc.Mode == NetContainer || nc.Mode == NetHost) {
		return fmt.Errorf("cannot publish ports with --network %s: %w", nc.Mode, ErrInvalidArg)
	}
	if nc.Ports, err = netcni.PickHostPorts(nc.Ports); err != nil {
		return invalidArg(err)
	}
	if nc.Mode == NetContainer {
		// The other container's /etc/hosts and resolv.conf are shared (podman).
		if len(o.DNS) > 0 || len(o.DNSSearch) > 0 || len(o.DNSOptions) > 0 {
			return fmt.Errorf("conflicting options: dns and the network mode: container: %w", ErrInvalidArg)
		}
		if len(o.AddHosts) > 0 {
			return fmt.Errorf("cannot set extra host entries when the container is joined to another container's network namespace: %w", ErrInvalidArg)
		}
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return fmt.Errorf("invalid --dns %q: not an IP address: %w", d, ErrInvalidArg)
		}
	}
	for _, h := range o.AddHosts {
		if _, err := netcni.ParseAddHost(h); err != nil {
			return invalidArg(err)
		}
	}
	nc.DNS, nc.DNSSearch, nc.DNSOptions, nc.AddHosts = o.DNS, o.DNSSearch, o.DNSOptions, o.AddHosts
	cfg.Net = nc
	cfg.Network = nc.Mode
	if nc.Mode == NetContainer {
		cfg.Network = "container:" + nc.Container
	}
	return nil
}

// netMode reads the --network values: one of none, host, container:X, slirp4netns,
// or any number of CNI networks (bridge being the default one), each optionally
// with podman's per-network options (NAME:ip=IP,mac=MAC,alias=A,interface_name=IF).
func (r *Runtime) netMode(values []string) (NetConfig, error) {
	if len(values) == 0 {
		values = []string{NetBridge}
		if r.rootless {
			values = []string{NetSlirp}
		}
	}
	var nc NetConfig
	for _, v := range values {
		name, _, _ := strings.Cut(v, ":")
		switch {
		case v == NetNone || v == NetHost || v == NetSlirp || name == NetContainer:
			if len(values) > 1 {
				return nc, fmt.Errorf("--network %s cannot be combined with other networks: %w", v, ErrInvalidArg)
			}
			nc.Mode = name
			if name == NetContainer {
				other, err := r.Lookup(strings.TrimPrefix(v, "container:"))
				if err != nil {
					return nc, fmt.Errorf("--network %s: %w", v, err)
				}
				nc.Container = other.ID
			}
		default:
			req, err := r.networkRequest(v)
			if err != nil {
				return nc, err
			}
			for _, have := range nc.Networks {
				if have.Network == req.Network {
					return nc, fmt.Errorf("--network %s is given twice: %w", req.Network, ErrInvalidArg)
				}
			}
			nc.Mode = NetBridge
			nc.Networks = append(nc.Networks, req)
		}
	}
	return nc, nil
}

// specNet sets the container's network namespace up (before the monitor starts)
// and points spec at it; it also writes /etc/hosts, /etc/hostname and
// /etc/resolv.conf into runDir and mounts them.
func (c *Container) specNet(spec *specs.Spec, runDir, hostname string) error {
	nc := c.Config.Net
	if nc.Mode == "" {
		nc.Mode = NetNone // made before networking existed
	}
	netcniHosts := false         // netcni writes /etc/hosts (and keeps it current)
	var shared map[string]string // container:NAME: its /etc files that we use
	switch nc.Mode {
	case NetHost:
		setNetns(spec, "", false)
		if c.r.rootless {
			bindSys(spec)
		}
	case NetContainer:
		path, err := c.r.netnsOf(nc.Container)
		if err != nil {
			return err
		}
		setNetns(spec, path, true)
		shared = c.r.sharedEtcFiles(nc.Container)
	case NetBridge, NetSlirp:
		p, err := c.r.Networks().Start(context.Background(), netcni.SetupOptions{
			ContainerID: c.ID, Name: c.Name, Hostname: hostname, RunDir: runDir, Slirp: nc.Mode == NetSlirp,
			Networks: nc.Networks, Ports: nc.Ports, AddHosts: nc.AddHosts,
		})
		if err != nil {
			return fmt.Errorf("container %s: %w", c.Name, netErr(err))
		}
		pendingNets.Store(c.ID, p)
		setNetns(spec, p.NetNS, true)
		netcniHosts = true
	}
	etc, err := writeEtcFiles(runDir, hostname, c.Name, nc, netcniHosts, c.r.rootless)
	if err != nil {
		_ = c.teardownNet()
		return err
	}
	// A user's own mount of one of these files (-v myhosts:/etc/hosts) wins.
	taken := map[string]bool{}
	for _, m := range spec.Mounts {
		taken[m.Destination] = true
	}
	for _, m := range etc {
		if src, ok := shared[m.Destination]; ok {
			m.Source = src
		}
		if !taken[m.Destination] {
			spec.Mounts = append(spec.Mounts, m)
		}
	}
	return nil
}

// pendingNets holds the network setups (netcni.Pending) that specNet started in
// this process, by container id, until waitNet.
var pendingNets sync.Map

// waitNet waits for the network setup that specNet started: Start calls it once
// the monitor has created the container, which the CNI ADDs overlapped (see
// netcni.Manager.Start), and before the container's process starts. When the
// setup failed (and undid itself), the created container is killed, so that its
// monitor cleans up and exits, and the error is returned. Without a pending setup
// (none, host, container:) it returns at once.
func (c *Container) waitNet() error {
	v, ok := pendingNets.LoadAndDelete(c.ID)
	if !ok {
		return nil
	}
	start := time.Now()
	_, err := v.(*netcni.Pending).Wait()
	logrus.Debugf("container %s: waited %v for its network setup", c.Name, time.Since(start).Round(time.Millisecond))
	if err != nil {
		if st, serr := c.State(); serr == nil && st.Pid != 0 {
			if run, rerr := c.RunDir(); rerr == nil {
				_ = os.WriteFile(filepath.Join(run, fileStopped), nil, 0o600) // no restart
			}
			_ = c.signal(st, syscall.SIGKILL)
		}
		return fmt.Errorf("container %s: %w", c.Name, netErr(err))
	}
	return nil
}

// setNetns points the spec's network namespace at path, or drops it (host) when
// keep is false.
func setNetns(spec *specs.Spec, path string, keep bool) {
	var out []specs.LinuxNamespace
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			if !keep {
				continue
			}
			ns.Path = path
		}
		out = append(out, ns)
	}
	spec.Linux.Namespaces = out
}

// bindSys replaces the sysfs mount with a read-only bind of the host's /sys: a
// user namespace may not mount sysfs for a network namespace it does not own (the
// host's), as runc and podman do for rootless --network host.
func bindSys(spec *specs.Spec) {
	for i, m := range spec.Mounts {
		if m.Destination == "/sys" && m.Type == "sysfs" {
			spec.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
		}
	}
}

// sharedEtcFiles are the /etc/hosts and /etc/resolv.conf of the container whose
// network a container:NAME container joins, by mount destination: they name its
// peers (netcni keeps the hosts file current) and its DNS, as in podman and docker.
func (r *Runtime) sharedEtcFiles(id string) map[string]string {
	other, err := r.Lookup(id)
	if err != nil {
		return nil
	}
	run, err := other.RunDir()
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, f := range []string{"hosts", "resolv.conf"} {
		if _, err := os.Stat(filepath.Join(run, f)); err == nil {
			out["/etc/"+f] = filepath.Join(run, f)
		}
	}
	return out
}

// netnsOf is the network namespace of a running container, for container:NAME.
func (r *Runtime) netnsOf(id string) (string, error) {
	other, err := r.Lookup(id)
	if err != nil {
		return "", err
	}
	st, err := other.State()
	if err != nil {
		return "", err
	}
	if !st.Running() || st.Pid == 0 {
		return "", fmt.Errorf("--network container:%s: the container is not running: %w", other.Name, ErrCtrStateInvalid)
	}
	if run, err := other.RunDir(); err == nil {
		if err := netcni.MarkNetnsShared(run); err != nil {
			return "", fmt.Errorf("--network container:%s: %w", other.Name, err)
		}
	}
	return fmt.Sprintf("/proc/%d/ns/net", st.Pid), nil
}

// netErr turns netcni's input errors into ErrInvalidArg (exit 125, one line).
func netErr(err error) error {
	if errors.Is(err, netcni.ErrInvalidArg) || errors.Is(err, netcni.ErrInUse) || errors.Is(err, netcni.ErrNoSuchNetwork) {
		return invalidArg(err)
	}
	return err
}

// teardownNet releases what specNet set up; idempotent, also after a crash.
func (c *Container) teardownNet() error {
	if v, ok := pendingNets.LoadAndDelete(c.ID); ok {
		_, _ = v.(*netcni.Pending).Wait() // a setup that failed undid itself
	}
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	if c.idleNets == nil {
		return c.r.Networks().Teardown(context.Background(), run)
	}
	idle, err := c.r.Networks().TeardownDeferred(context.Background(), run)
	*c.idleNets = append(*c.idleNets, idle)
	return err
}

// withHostEntry is the host's /etc/hosts for a --network host container, plus
// host.containers.internal as podman adds it (when the host does not name it).
func withHostEntry(hosts []byte) []byte {
	for _, line := range strings.Split(string(hosts), "\n") {
		if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(f[0], "#") && slices.Contains(f[1:], "host.containers.internal") {
			return hosts
		}
	}
	ip := netcni.LocalIP()
	if ip == "" {
		return hosts
	}
	out := append([]byte{}, hosts...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, ip+"\thost.containers.internal\n"...)
}

// writeEtcFiles writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf
// into its run directory and returns the bind mounts for them. With a CNI network or
// slirp4netns (netcniHosts), netcni wrote /etc/hosts already (and keeps it current).
//
// Rootless, the containers of user networks reach the world through the store's
// slirp4netns too, so its DNS forwarder stands in as with slirp4netns mode.
func writeEtcFiles(runDir, hostname, name string, nc NetConfig, netcniHosts, rootless bool) ([]specs.Mount, error) {
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	slirpDNS := nc.Mode == NetSlirp || (rootless && nc.Mode == NetBridge)
	files := map[string][]byte{
		"hostname":    []byte(hostname + "\n"),
		"resolv.conf": netcni.ResolvConf(hostResolv, nc.DNS, nc.DNSSearch, nc.DNSOptions, slirpDNS),
	}
	switch {
	case netcniHosts:
	case nc.Mode == NetHost:
		hosts, _ := os.ReadFile("/etc/hosts")
		files["hosts"] = withHostEntry(hosts)
		files["resolv.conf"] = hostResolv
	default:
		files["hosts"] = []byte(netcni.HostsFor(hostname, name, nc.AddHosts))
	}
	var mounts []specs.Mount
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		p := filepath.Join(runDir, f)
		if data, ok := files[f]; ok {
			if err := writeFileAtomic(p, data, 0o644); err != nil {
				return nil, fmt.Errorf("writing %s: %w", p, err)
			}
		}
		mounts = append(mounts, specs.Mount{Destination: "/etc/" + f, Type: "bind", Source: p, Options: []string{"rbind", "rprivate"}})
	}
	return mounts, nil
}
