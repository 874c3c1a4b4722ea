package netcni

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultNetwork is the name of the network containers join when no --network is
// given (as root). Its bridge and subnet are engine's own (engine0, 10.89.0.0/24
// when free), not podman's (cni-podman0, 10.88.0.0/16), so both engines share a host.
const DefaultNetwork = "engine"

// Network is one network as `network inspect` prints it: podman 4.x's JSON shape for
// CNI networks. It is kept inside its conflist, under args.engine.
type Network struct {
	Name             string            `json:"name"`
	ID               string            `json:"id"`
	Driver           string            `json:"driver"`
	NetworkInterface string            `json:"network_interface,omitempty"`
	Created          time.Time         `json:"created"`
	Subnets          []Subnet          `json:"subnets,omitempty"`
	IPv6Enabled      bool              `json:"ipv6_enabled"`
	Internal         bool              `json:"internal"`
	DNSEnabled       bool              `json:"dns_enabled"`
	Labels           map[string]string `json:"labels,omitempty"`
	Options          map[string]string `json:"options,omitempty"`
	IPAMOptions      map[string]string `json:"ipam_options,omitempty"`
}

// Subnet is one IPAM range of a network.
type Subnet struct {
	Subnet     string      `json:"subnet"`
	Gateway    string      `json:"gateway,omitempty"`
	LeaseRange *LeaseRange `json:"lease_range,omitempty"`
}

// LeaseRange narrows the addresses handed out (--ip-range).
type LeaseRange struct {
	StartIP string `json:"start_ip,omitempty"`
	EndIP   string `json:"end_ip,omitempty"`
}

// validName is podman's network name rule.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// checkName refuses names that are not valid file names or interface-safe.
func checkName(name string) error {
	if !validName.MatchString(name) || len(name) > 200 {
		return fmt.Errorf("network name %q invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", name, ErrInvalidArg)
	}
	return nil
}

// networkID is podman's id of a CNI network: the sha256 of its name.
func networkID(name string) string {
	s := sha256.Sum256([]byte(name))
	return hex.EncodeToString(s[:])
}

func (m *Manager) confPath(name string) string {
	return filepath.Join(m.confDir, name+".conflist")
}

// conflistFile is the on-disk shape: a CNI conflist with engine's record in args.
type conflistFile struct {
	CNIVersion string            `json:"cniVersion"`
	Name       string            `json:"name"`
	Plugins    []json.RawMessage `json:"plugins"`
	Args       struct {
		Engine *Network `json:"engine"`
	} `json:"args"`
}

// Get returns the network called name (or with that id or unique id prefix).
func (m *Manager) Get(name string) (*Network, error) {
	if name == "" {
		return nil, fmt.Errorf("unable to find network with name or ID %q: %w", name, ErrNoSuchNetwork)
	}
	if validName.MatchString(name) {
		if n, err := m.load(m.confPath(name)); err == nil {
			return n, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if name == DefaultNetwork && !m.rootless {
		return m.ensureDefault()
	}
	all, err := m.List()
	if err != nil {
		return nil, err
	}
	var found *Network
	for _, n := range all {
		if strings.HasPrefix(n.ID, name) {
			if found != nil {
				return nil, fmt.Errorf("more than one network matches %q: %w", name, ErrInvalidArg)
			}
			found = n
		}
	}
	if found == nil {
		return nil, fmt.Errorf("unable to find network with name or ID %s: %w", name, ErrNoSuchNetwork)
	}
	return found, nil
}

func (m *Manager) load(path string) (*Network, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f conflistFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("reading network config %s: %w", path, err)
	}
	if f.Args.Engine == nil {
		return nil, fmt.Errorf("network config %s: no engine record", path)
	}
	return f.Args.Engine, nil
}

// List returns every network of the store, by name; as root the default network is
// made on first use and always listed.
func (m *Manager) List() ([]*Network, error) {
	if !m.rootless {
		if _, err := m.ensureDefault(); err != nil {
			return nil, err
		}
	}
	return m.list()
}

// list reads the store's network configs; it needs no lock (writes are atomic).
func (m *Manager) list() ([]*Network, error) {
	ents, err := os.ReadDir(m.confDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	var out []*Network
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".conflist") {
			continue
		}
		n, err := m.load(filepath.Join(m.confDir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// save writes n's conflist (with the plugins engine runs) atomically.
func (m *Manager) save(n *Network) error {
	f, err := m.conflist(n, nil)
	if err != nil {
		return err
	}
	f.Args.Engine = n
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(m.confPath(n.Name), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing network config: %w", err)
	}
	return nil
}
