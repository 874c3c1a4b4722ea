package engine

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SecurityOptions are the isolation flags of create/run: capabilities, seccomp,
// privileged, devices, namespaces, user namespace, sysctls, as the user typed them.
type SecurityOptions struct {
	Privileged   bool
	CapAdd       []string // --cap-add: names with or without CAP_, any case, or ALL
	CapDrop      []string // --cap-drop
	SecurityOpts []string // --security-opt no-new-privileges|seccomp=...|mask=...|unmask=...
	Devices      []string // --device /dev/x[:/dev/y][:rwm]
	PID          string   // --pid host|container:NAME|private
	IPC          string   // --ipc host|container:NAME|private|shareable
	UTS          string   // --uts host|private
	UserNS       string   // --userns host|keep-id|auto
	GroupAdd     []string // --group-add
	Sysctls      []string // --sysctl KEY=VALUE
}

// SecurityConfig is what Create kept of SecurityOptions.
type SecurityConfig struct {
	Privileged      bool            `json:"privileged,omitempty"`
	CapAdd          []string        `json:"capAdd,omitempty"`  // normalised: CAP_X or ALL
	CapDrop         []string        `json:"capDrop,omitempty"` // normalised
	NoNewPrivileges bool            `json:"noNewPrivileges,omitempty"`
	Seccomp         string          `json:"seccomp,omitempty"`        // "": default, "unconfined", or a profile path
	SeccompProfile  string          `json:"seccompProfile,omitempty"` // the profile's JSON, read at create
	Mask            []string        `json:"mask,omitempty"`
	Unmask          []string        `json:"unmask,omitempty"`
	SecurityOpt     []string        `json:"securityOpt,omitempty"` // as given, for inspect
	Devices         []DeviceMapping `json:"devices,omitempty"`
	PID             NamespaceMode   `json:"pid,omitempty"`
	IPC             NamespaceMode   `json:"ipc,omitempty"`
	PrivateIPC      bool            `json:"privateIpc,omitempty"` // --ipc private: its /dev/shm is not shareable
	UTS             NamespaceMode   `json:"uts,omitempty"`
	UserNS          string          `json:"userns,omitempty"`
	// UIDMap and GIDMap are the container's user namespace (--userns keep-id|auto),
	// as containers/storage made its layer.
	UIDMap   []specs.LinuxIDMapping `json:"uidMap,omitempty"`
	GIDMap   []specs.LinuxIDMapping `json:"gidMap,omitempty"`
	GroupAdd []string               `json:"groupAdd,omitempty"`
	Sysctls  map[string]string      `json:"sysctls,omitempty"`
}

// applySecurity validates o and records it in cfg.
func (r *Runtime) applySecurity(cfg *Config, o SecurityOptions) error {
	sc, err := o.Parse()
	if err != nil {
		return err
	}
	if err := checkCapsAvailable(sc.CapAdd); err != nil {
		return err
	}
	if sc.SeccompProfile, err = loadSeccompFile(sc.Seccomp); err != nil {
		return err
	}
	if sc.Devices, err = resolveDevices(sc.Devices); err != nil {
		return err
	}
	for _, k := range nsKinds {
		if err := r.resolveNamespaceMode(k.kind, k.field(&sc)); err != nil {
			return err
		}
	}
	if err := r.checkUserNS(sc.UserNS); err != nil {
		return err
	}
	if err := r.utsHostname(cfg, sc.UTS); err != nil {
		return err
	}
	cfg.Security = sc
	return nil
}

// utsHostname makes the container's hostname (its /etc/hostname, $HOSTNAME) that
// of the UTS namespace it shares: the host's or the other container's.
func (r *Runtime) utsHostname(cfg *Config, uts NamespaceMode) error {
	id, joins := uts.Container()
	if !joins && !uts.Host() {
		return nil
	}
	if cfg.Hostname != "" {
		return fmt.Errorf("cannot set hostname when running in the host UTS namespace or another container's: %w", ErrInvalidArg)
	}
	if !joins {
		h, err := os.Hostname()
		if err == nil {
			cfg.Hostname = h
		}
		return nil
	}
	other, err := r.Lookup(id)
	if err != nil {
		return err
	}
	cfg.Hostname = other.Config.Hostname
	if cfg.Hostname == "" {
		cfg.Hostname = shortID(other.ID)
	}
	return nil
}

// Parse validates the options on their own (no host lookups other than the list of
// capabilities the kernel knows) and converts them.
func (o SecurityOptions) Parse() (SecurityConfig, error) {
	sc := SecurityConfig{Privileged: o.Privileged, GroupAdd: o.GroupAdd, UserNS: o.UserNS}
	var err error
	if sc.CapAdd, sc.CapDrop, err = normalizeCaps(o.CapAdd, o.CapDrop); err != nil {
		return sc, err
	}
	if err := sc.parseSecurityOpts(o.SecurityOpts); err != nil {
		return sc, err
	}
	for _, d := range o.Devices {
		dm, err := parseDevice(d)
		if err != nil {
			return sc, err
		}
		sc.Devices = append(sc.Devices, dm)
	}
	if sc.PID, err = parseNamespaceMode("pid", o.PID); err != nil {
		return sc, err
	}
	if sc.IPC, err = parseNamespaceMode("ipc", o.IPC); err != nil {
		return sc, err
	}
	sc.PrivateIPC = o.IPC == "private"
	if sc.UTS, err = parseNamespaceMode("uts", o.UTS); err != nil {
		return sc, err
	}
	if err := validUserNS(o.UserNS); err != nil {
		return sc, err
	}
	if err := validGroups(o.GroupAdd); err != nil {
		return sc, err
	}
	if sc.Sysctls, err = parseSysctls(o.Sysctls, sc.IPC); err != nil {
		return sc, err
	}
	return sc, nil
}
