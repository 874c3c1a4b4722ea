package netcni

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Request is one network a container asks to join.
type Request struct {
	Network string   `json:"network"`
	Aliases []string `json:"aliases,omitempty"`
	IP      string   `json:"ip,omitempty"`  // --ip: a static address
	MAC     string   `json:"mac,omitempty"` // --mac-address
	// Interface is the link's name in the container (--network NAME:interface_name=);
	// empty: the next free ethN.
	Interface string `json:"interface,omitempty"`
}

// Attachment is what a container got on one network.
type Attachment struct {
	Network   string   `json:"network"`
	Interface string   `json:"interface"` // eth0, eth1, ... in the container
	IP        string   `json:"ip,omitempty"`
	PrefixLen int      `json:"prefixLen,omitempty"`
	Gateway   string   `json:"gateway,omitempty"`
	MAC       string   `json:"mac,omitempty"`
	Aliases   []string `json:"aliases,omitempty"`
	// Conflist is exactly what ADD ran, so that DEL runs the same plugins even if
	// the network's config changed or was removed meanwhile.
	Conflist json.RawMessage `json:"conflist,omitempty"`
	// Pinned: ADD ran engine's own plugin build, which honours the netfilter
	// backends the conflist names (so DEL may hide the other tools, see delPaths).
	Pinned bool          `json:"pinned,omitempty"`
	Ports  []PortMapping `json:"ports,omitempty"`
}

// State is what Setup did for one container, kept in RUNDIR/network.json. It is
// written before each step that creates something (intent first), so Teardown after
// a crash at any point knows what may exist and undoes it; every undo step accepts
// "already gone".
type State struct {
	ContainerID string        `json:"containerId"`
	Name        string        `json:"name"`
	Hostname    string        `json:"hostname"`
	Mode        string        `json:"mode"` // bridge or slirp4netns
	NetNS       string        `json:"netns,omitempty"`
	Attachments []Attachment  `json:"attachments,omitempty"`
	Ports       []PortMapping `json:"ports,omitempty"`
	SlirpPid    int           `json:"slirpPid,omitempty"`
	SlirpSocket string        `json:"slirpSocket,omitempty"`
	HostsPath   string        `json:"hostsPath,omitempty"`
	// HostsBase is the container's own part of /etc/hosts (localhost, itself,
	// --add-host); the entries of its peers are appended to it on every rewrite.
	HostsBase string `json:"hostsBase,omitempty"`
	// Pending: Start's CNI ADDs have not finished. Read under the store's network
	// lock (which Start holds until they finish), it means the process that ran
	// them was killed: the container's process never started (see SetupAbandoned).
	Pending bool `json:"pending,omitempty"`
	// failedSetup: teardown undoes a setup that failed: it leaves the netns mount
	// (see Start) and expects DELs to fail (what they undo may never have been).
	failedSetup bool
}

const stateFile = "network.json"

// ReadState reads a container's network state; nil without error when it has none.
func ReadState(runDir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(runDir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("reading network state: %w", err)
	}
	return &st, nil
}

func writeState(runDir string, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, stateFile), b, 0o600)
}

// IPs lists the container's addresses, by network.
func (st *State) IPs() map[string]string {
	out := map[string]string{}
	for _, a := range st.Attachments {
		out[a.Network] = a.IP
	}
	return out
}

// SetupAbandoned tells whether the network setup of the container in runDir was
// left unfinished by a process that died (Start's CNI ADDs run while the container
// is created; a CLI killed then leaves a created container that never runs). It
// waits for a setup in progress in another process.
func (m *Manager) SetupAbandoned(runDir string) bool {
	unlock, err := m.lock()
	if err != nil {
		return false
	}
	defer unlock()
	st, err := ReadState(runDir)
	return err == nil && st != nil && st.Pending
}
