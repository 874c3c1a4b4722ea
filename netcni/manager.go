package netcni

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"golang.org/x/sys/unix"
)

// Options configure New. The directories come from the store the engine opened, so
// that every store (and every test's --root/--runroot) has its own networks.
type Options struct {
	GraphRoot string // persistent: network configs live in GRAPHROOT/engine/networks
	RunRoot   string // volatile (tmpfs): IPAM leases, CNI cache, per-network attachments
	Rootless  bool
	Exe       string // the engine binary: CNI plugins are also looked up next to it
}

// Manager owns one store's networks and the container attachments to them.
type Manager struct {
	confDir  string
	stateDir string
	rootless bool
	path     []string
	own      []string // engine's own plugin directories (the pinned build)
}

// New returns a manager for the store's directories; it creates nothing yet.
func New(o Options) *Manager {
	return &Manager{
		confDir:  filepath.Join(o.GraphRoot, "engine", "networks"),
		stateDir: filepath.Join(o.RunRoot, "engine", "net"),
		rootless: o.Rootless,
		path:     pluginPath(o.Exe),
		own:      ownPluginDirs(o.Exe),
	}
}

// ownPluginDirs are the directories where engine installs the plugins it builds from
// the pinned module (bin/cni next to the binary, or PREFIX/libexec/engine/cni).
func ownPluginDirs(exe string) []string {
	if exe == "" {
		return nil
	}
	dir := filepath.Dir(exe)
	return []string{filepath.Join(dir, "cni"), filepath.Join(dir, "..", "libexec", "engine", "cni")}
}

// pinnedPlugins tells whether the bridge plugin that ADD runs is engine's own
// build, whose options (the netfilter backends) engine relies on; a distribution's
// older plugins ignore them.
func (m *Manager) pinnedPlugins() bool {
	bin, err := invoke.FindInPath("bridge", m.path)
	if err != nil {
		return false
	}
	for _, d := range m.own {
		if filepath.Clean(filepath.Dir(bin)) == filepath.Clean(d) {
			return true
		}
	}
	return false
}

// pluginPath is where CNI plugins are looked for: $CNI_PATH, bin/cni next to the
// engine binary (a build tree), ../libexec/engine/cni (an install), then the usual
// distribution directories.
func pluginPath(exe string) []string {
	var out []string
	if p := os.Getenv("CNI_PATH"); p != "" {
		out = append(out, filepath.SplitList(p)...)
	}
	if exe != "" {
		dir := filepath.Dir(exe)
		out = append(out, filepath.Join(dir, "cni"), filepath.Join(dir, "..", "libexec", "engine", "cni"))
	}
	return append(out, "/usr/libexec/cni", "/usr/lib/cni", "/opt/cni/bin")
}

// Rootless tells whether this manager runs as an ordinary user (slirp4netns, no bridges).
func (m *Manager) Rootless() bool { return m.rootless }

// lock takes the store's network lock (exclusive flock); it serialises config changes,
// attachments and bridge lifetimes within the store.
func (m *Manager) lock() (func(), error) {
	return flockFile(filepath.Join(m.stateDir, "net.lock"))
}

func flockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// writeFileAtomic writes data through a temporary file and a rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
