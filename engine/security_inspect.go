package engine

import "strings"

// InspectHostSecurity are the isolation settings in inspect's HostConfig (podman's
// names and defaults).
type InspectHostSecurity struct {
	CapAdd      []string          `json:"CapAdd"`
	CapDrop     []string          `json:"CapDrop"`
	Privileged  bool              `json:"Privileged"`
	SecurityOpt []string          `json:"SecurityOpt"`
	Devices     []InspectDevice   `json:"Devices"`
	PidMode     string            `json:"PidMode"`
	IpcMode     string            `json:"IpcMode"`
	UTSMode     string            `json:"UTSMode"`
	UsernsMode  string            `json:"UsernsMode"`
	CgroupMode  string            `json:"CgroupMode"`
	GroupAdd    []string          `json:"GroupAdd"`
	Sysctls     map[string]string `json:"Sysctls,omitempty"`
}

// InspectDevice is one --device in inspect.
type InspectDevice struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// InspectCaps are the container's capabilities, at the top of inspect (podman).
type InspectCaps struct {
	EffectiveCaps []string `json:"EffectiveCaps"`
	BoundingCaps  []string `json:"BoundingCaps"`
}

// inspectSecurity fills the security parts of inspect.
func (c *Container) inspectSecurity(d *InspectData) {
	sc := &c.Config.Security
	h := &d.HostConfig.InspectHostSecurity
	h.CapAdd, h.CapDrop = orEmpty(sc.CapAdd), orEmpty(sc.CapDrop)
	h.Privileged, h.SecurityOpt, h.GroupAdd = sc.Privileged, orEmpty(sc.SecurityOpt), orEmpty(sc.GroupAdd)
	h.Devices = []InspectDevice{}
	for _, dev := range sc.Devices {
		h.Devices = append(h.Devices, InspectDevice{PathOnHost: dev.Host, PathInContainer: dev.Container, CgroupPermissions: dev.Perms})
	}
	h.PidMode, h.IpcMode, h.UTSMode = nsModeString(sc.PID, "private"), nsModeString(sc.IPC, "shareable"), nsModeString(sc.UTS, "private")
	if sc.PrivateIPC {
		h.IpcMode = "private"
	}
	h.UsernsMode, h.CgroupMode, h.Sysctls = sc.UserNS, "host", sc.Sysctls
	if detectCgroups(false).v2 {
		h.CgroupMode = "private"
	}
	if caps, err := sc.containerCaps(); err == nil {
		d.BoundingCaps, d.EffectiveCaps = caps, caps
		if !isRootUser(c.Config.User) {
			d.EffectiveCaps = orEmpty(sc.addedCaps(caps))
		}
	}
}

// isRootUser tells whether a --user value names root (a name other than root or 0
// would need the image's passwd file, which is only read at start).
func isRootUser(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name == "" || name == "0" || name == "root"
}

func nsModeString(m NamespaceMode, def string) string {
	if m == "" {
		return def
	}
	return string(m)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
