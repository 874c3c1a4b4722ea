package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/engine-dev/engine/internal/early"
)

// What a unit written for podman passes (`podman generate systemd --new`):
//
//	run --cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon -d --replace --name N IMAGE
//	stop --ignore -t 10 --cidfile=%t/%n.ctr-id
//	rm -f --ignore -t 10 --cidfile=%t/%n.ctr-id
//
// with Type=notify and NotifyAccess=all. The monitor is the service's main
// process (MAINPID), as conmon is for podman: it stays in the cgroup of the
// process that started it (engine never gives it one of its own, which is
// what --cgroups=no-conmon asks for), and exits with the container's code.

// --sdnotify modes, as podman's.
const (
	SdNotifyContainer = "container" // the container sends READY=1 through the monitor's proxy
	SdNotifyConmon    = "conmon"    // engine sends READY=1 once the container's process runs
	SdNotifyIgnore    = "ignore"    // nothing is sent; NOTIFY_SOCKET is not passed on
)

// notifyInCtr is where the container finds the proxy socket's directory, and
// its NOTIFY_SOCKET, as with podman.
const (
	notifyInCtr     = "/run/notify"
	notifySocketCtr = notifyInCtr + "/notify.sock"
)

// applySystemd checks and records --sdnotify, --cgroups and --replace.
func applySystemd(cfg *Config, o CreateOptions) error {
	mode := o.SdNotify
	if mode == "" {
		mode = SdNotifyContainer
	}
	switch mode {
	case SdNotifyContainer, SdNotifyConmon:
		cfg.SdNotifySocket = o.NotifySocket
	case SdNotifyIgnore:
	default:
		return fmt.Errorf("invalid sdnotify value %q: must be container, conmon or ignore: %w", o.SdNotify, ErrInvalidArg)
	}
	cfg.SdNotifyMode = mode
	switch o.Cgroups {
	case "", "enabled", "no-conmon":
		// The container always gets a cgroup of its own and the monitor none.
	case "disabled", "split":
		return fmt.Errorf("--cgroups=%s is not supported: containers always run in a cgroup of their own: %w", o.Cgroups, ErrInvalidArg)
	default:
		return fmt.Errorf("invalid cgroup mode %q: must be enabled, no-conmon, disabled or split: %w", o.Cgroups, ErrInvalidArg)
	}
	if o.Replace && o.Name == "" {
		return fmt.Errorf("cannot replace container without --name being set: %w", ErrInvalidArg)
	}
	return nil
}

// replaceNamed removes the container called name, if there is one (--replace):
// stopped as `stop` would (its stop signal, then its timeout), then removed.
func (r *Runtime) replaceNamed(name string) error {
	old, err := r.Lookup(name)
	if errors.Is(err, ErrNoSuchContainer) {
		return nil
	}
	if err != nil {
		return err
	}
	if old.Name != name { // Lookup also takes an ID prefix; --replace means the name
		return nil
	}
	t := old.Config.StopTimeout
	if err := old.Stop(&t); err != nil && !errors.Is(err, ErrCtrStateInvalid) && !errors.Is(err, ErrNoSuchContainer) {
		return fmt.Errorf("replacing container %s: %w", name, err)
	}
	if err := old.RemoveWith(true, false); err != nil && !errors.Is(err, ErrNoSuchContainer) {
		return fmt.Errorf("replacing container %s: %w", name, err)
	}
	return nil
}

// notifyProxied reports whether the container gets the sd_notify proxy.
func (c *Container) notifyProxied() bool {
	return c.Config.SdNotifyMode == SdNotifyContainer && c.Config.SdNotifySocket != ""
}

// specNotify gives a container in --sdnotify=container mode its NOTIFY_SOCKET:
// the run dir's notify/ directory, where the monitor binds the proxy socket.
func (c *Container) specNotify(spec *specs.Spec, run string) error {
	if !c.notifyProxied() {
		return nil
	}
	dir := filepath.Join(run, early.NotifyProxyDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sd_notify proxy of %s: %w", c.Name, err)
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: notifyInCtr, Type: "bind", Source: dir,
		Options: []string{"rbind", "rw", "nosuid", "nodev", "noexec"},
	})
	spec.Process.Env = append(spec.Process.Env, "NOTIFY_SOCKET="+notifySocketCtr)
	return nil
}

// sdNotifyStarted tells systemd, once the container's process runs, that the
// monitor is the service's main process, and for --sdnotify=conmon that the
// service is ready. A failure is a warning: the container runs either way.
func (c *Container) sdNotifyStarted(run string) {
	socket := c.Config.SdNotifySocket
	if socket == "" || c.Config.SdNotifyMode == SdNotifyIgnore {
		return
	}
	pid, _, err := readPidFile(filepath.Join(run, fileMonitorPid))
	if err != nil {
		logrus.Warnf("container %s: sd_notify: no monitor pid: %v", c.Name, err)
		return
	}
	msg := fmt.Sprintf("MAINPID=%d", pid)
	if c.Config.SdNotifyMode == SdNotifyConmon {
		msg += "\nREADY=1"
	}
	if err := sdNotify(socket, msg); err != nil {
		logrus.Warnf("container %s: sd_notify to %s: %v", c.Name, socket, err)
	}
}

// sdNotify sends one datagram to a NOTIFY_SOCKET ("@name": abstract).
func sdNotify(socket, msg string) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(msg))
	return err
}

// withoutEnv drops KEY=... from an environment.
func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if len(kv) <= len(key) || kv[len(key)] != '=' || kv[:len(key)] != key {
			out = append(out, kv)
		}
	}
	return out
}
