package netcni

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Rootless user networks, as podman 4 does them with CNI ("rootless-netns"): an
// ordinary user cannot make bridges, veths or netfilter rules in the host's network
// namespace, but can in one its user namespace owns. So each store has one
// "rootless netns", made on first need (under the store's network lock, so two
// `run`s at once make one) and removed when its last container leaves:
//
//   - RUNROOT/engine/net/rootless-netns/netns: a netns created inside the user's
//     user namespace (the CLI runs in it, held by the pause process) and
//     bind-mounted in the user's mount namespace, as a container's is;
//   - slirp4netns attached to it (tap0 10.0.2.100, --configure), started detached
//     so that it outlives the CLI, pid in slirp.pid, API socket slirp.sock: the
//     netns's way out, and the way in of published ports (add_hostfwd from the
//     host's address and port to tap0's, where portmap DNATs them);
//   - ip_forward=1 in it, and the networks' bridges and netfilter rules.
//
// CNI plugins for a rootless store run with that netns as their "host" netns
// (cniExec.netns): each exec forks from a thread that setns()ed into it, so the
// bridge plugin makes the bridge there and moves the veth peer into the
// container's netns. host-local leases, libcni's cache and the tuning plugin's data
// are under the store's run root already; claims of bridge names and subnets are
// not needed (the netns is private to the store); iptables-nft and nft need no
// lock file, and iptables-legacy's goes to the run root (XTABLES_LOCKFILE); the
// firewall plugin is never needed (the netns's FORWARD chain accepts).

const (
	rootlessNSDir   = "rootless-netns"
	rootlessSlirpIP = slirpGuestIP // tap0 in the rootless netns (slirp4netns --configure)
)

func (m *Manager) rootlessDir() string   { return filepath.Join(m.stateDir, rootlessNSDir) }
func (m *Manager) rootlessNetns() string { return filepath.Join(m.rootlessDir(), "netns") }

// pluginNetns is the netns CNI plugins run in: the rootless netns, or "" (the
// caller's) as root. When a rootless store's netns is gone (its bridges and rules
// with it), a DEL runs where it is, which still releases the lease.
func (m *Manager) pluginNetns() string {
	if !m.rootless || !isNetns(m.rootlessNetns()) {
		return ""
	}
	return m.rootlessNetns()
}

// inNet runs fn in the netns that holds the store's bridges: the caller's as root,
// the rootless netns for a rootless store (fn is skipped when it does not exist:
// there is no bridge then either).
func (m *Manager) inNet(fn func() error) error {
	if !m.rootless {
		return fn()
	}
	ns := m.rootlessNetns()
	if !isNetns(ns) {
		return nil
	}
	return inNetns(ns, fn)
}

// inNetns runs fn on an OS thread that joined the netns at path. The thread is
// locked and never unlocked, so Go discards it when the goroutine ends and no other
// goroutine ever runs in that netns. Processes fn starts (exec.Cmd) fork from this
// thread and inherit its netns.
func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		f, err := os.Open(path)
		if err != nil {
			errc <- fmt.Errorf("opening netns %s: %w", path, err)
			return
		}
		err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
		f.Close()
		if err != nil {
			errc <- fmt.Errorf("joining netns %s: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// EnsureDefault returns the default network, made on first use. As root Get and
// List make it; a rootless store's containers use slirp4netns unless they ask for
// --network bridge, so only that makes it (in the store's rootless netns).
func (m *Manager) EnsureDefault() (*Network, error) { return m.ensureDefault() }

// ensureBridge makes n's bridge up before ADD, in the rootless netns (made first
// when missing) for a rootless store. For a network whose masquerade engine does
// itself and whose bridge lacks it, it returns the function that adds it (to run
// while the plugins' ADD runs).
func (m *Manager) ensureBridge(n *Network) (masq func() error, err error) {
	if m.rootless {
		if err := m.ensureRootlessNetns(); err != nil {
			return nil, err
		}
	}
	var unmarked bool
	err = m.inNet(func() (err error) { unmarked, err = ensureBridge(n); return err })
	if err != nil || !unmarked || !m.wantsMasquerade(n) {
		return nil, err
	}
	return func() error { return addMasquerade(n) }, nil
}

// ensureRootlessNetns makes the store's rootless netns and its slirp4netns, or
// restarts slirp4netns if it died (its tap device went with it). The caller holds
// the store's network lock.
func (m *Manager) ensureRootlessNetns() error {
	dir, ns := m.rootlessDir(), m.rootlessNetns()
	if isNetns(ns) && rootlessSlirpPid(dir) > 0 {
		return nil
	}
	start, made := time.Now(), false
	if !isNetns(ns) {
		stopRootlessSlirp(dir)
		if err := removeNetns(ns); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if err := createNetns(ns); err != nil {
			return fmt.Errorf("creating the rootless netns: %w", err)
		}
		made = true
		if err := inNetns(ns, enableForward); err != nil {
			_ = removeNetns(ns)
			return err
		}
	}
	if err := startRootlessSlirp(dir, ns); err != nil {
		stopRootlessSlirp(dir)
		if made {
			_ = removeNetns(ns)
		}
		return err
	}
	if !made {
		m.reforward() // a restarted slirp4netns forwards nothing yet
	}
	logrus.Debugf("rootless netns: made (%v), slirp4netns started: %v", made, time.Since(start).Round(time.Millisecond))
	return nil
}

// enableForward sets net.ipv4.ip_forward in the caller's (the rootless) netns:
// /proc/sys/net shows the netns of the thread that opens it.
func enableForward() error {
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("enabling ip_forward in the rootless netns: %w", err)
	}
	return nil
}

// releaseRootlessNetnsIfIdle stops the store's slirp4netns and removes its rootless
// netns (with the bridges and rules in it) once no container is attached to a
// network of the store. The caller holds the store's network lock.
func (m *Manager) releaseRootlessNetnsIfIdle() error {
	if !m.rootless {
		return nil
	}
	dir := m.rootlessDir()
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) || m.rootlessInUse() {
		return nil
	}
	start := time.Now()
	stopRootlessSlirp(dir)
	if err := removeNetns(m.rootlessNetns()); err != nil {
		return err
	}
	logrus.Debugf("rootless netns: released: %v", time.Since(start).Round(time.Millisecond))
	return os.RemoveAll(dir)
}

// rootlessInUse tells whether a container is attached to a CNI network of the store.
func (m *Manager) rootlessInUse() bool {
	ents, _ := os.ReadDir(filepath.Join(m.stateDir, "attach"))
	for _, e := range ents {
		if e.Name() != slirpNetwork && len(m.peers(e.Name())) > 0 {
			return true
		}
	}
	return false
}

// startRootlessSlirp starts slirp4netns for the rootless netns ns, detached, and
// waits until it is ready.
func startRootlessSlirp(dir, ns string) error {
	bin, err := exec.LookPath("slirp4netns")
	if err != nil {
		return fmt.Errorf("rootless networks need slirp4netns: %w", err)
	}
	logPath := filepath.Join(dir, "slirp4netns.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	_ = os.Remove(filepath.Join(dir, slirpSocket))
	// The socket path is relative to dir (see startSlirp).
	cmd := exec.Command(bin, "--configure", "--mtu=65520", "--disable-host-loopback", "--netns-type=path",
		"--api-socket", slirpSocket, "--ready-fd=3", ns, "tap0")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("starting slirp4netns for the rootless netns: %w", err)
	}
	pw.Close()
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if err := writeFileAtomic(filepath.Join(dir, "slirp.pid"), []byte(strconv.Itoa(pid)), 0o600); err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return err
	}
	ready := make(chan error, 1)
	go func() {
		_, err := pr.Read(make([]byte, 1))
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("slirp4netns for the rootless netns failed: %s", oneLine(string(log)))
		}
	case <-time.After(10 * time.Second):
		return fmt.Errorf("slirp4netns for the rootless netns not ready after 10s")
	}
	return nil
}

// rootlessSlirpPid is the pid of the rootless netns's slirp4netns when it runs, or
// 0. A process killed between starting it and writing slirp.pid leaves one with no
// record: it is found by its command line, and adopted.
func rootlessSlirpPid(dir string) int {
	ns := filepath.Join(dir, "netns")
	if b, err := os.ReadFile(filepath.Join(dir, "slirp.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && isSlirpOf(pid, ns) {
			return pid
		}
	}
	pids := slirpsOf(ns)
	if len(pids) == 0 {
		return 0
	}
	for _, pid := range pids[1:] { // one is enough
		stopSlirp(&State{SlirpPid: pid, NetNS: ns})
	}
	_ = writeFileAtomic(filepath.Join(dir, "slirp.pid"), []byte(strconv.Itoa(pids[0])), 0o600)
	return pids[0]
}

// isSlirpOf tells whether pid is a live slirp4netns serving the netns at ns.
func isSlirpOf(pid int, ns string) bool {
	if pid <= 0 || isZombie(pid) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false // gone
	}
	argv := strings.Split(string(cmdline), "\x00")
	return filepath.Base(argv[0]) == "slirp4netns" && slices.Contains(argv, ns)
}

// slirpsOf lists the slirp4netns processes serving the netns at ns.
func slirpsOf(ns string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && isSlirpOf(pid, ns) {
			out = append(out, pid)
		}
	}
	return out
}

// stopRootlessSlirp kills the rootless netns's slirp4netns, recorded or not.
func stopRootlessSlirp(dir string) {
	ns := filepath.Join(dir, "netns")
	for _, pid := range slirpsOf(ns) {
		stopSlirp(&State{SlirpPid: pid, NetNS: ns})
		// Reaped if this process started it (a build runs many containers):
		// ECHILD otherwise.
		_, _ = unix.Wait4(pid, nil, unix.WNOHANG, nil)
	}
	_ = os.Remove(filepath.Join(dir, "slirp.pid"))
}
