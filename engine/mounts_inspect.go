package engine

import "path/filepath"

// InspectMount is one entry of a container's inspect Mounts, podman's fields.
type InspectMount struct {
	Type        string   `json:"Type"`
	Name        string   `json:"Name,omitempty"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	Driver      string   `json:"Driver"`
	Mode        string   `json:"Mode"`
	Options     []string `json:"Options"`
	RW          bool     `json:"RW"`
	Propagation string   `json:"Propagation"`
}

// inspectMounts fills the mount parts of inspect.
func (c *Container) inspectMounts(d *InspectData) {
	vols := c.r.volumes()
	for _, m := range c.Config.Mounts.Mounts {
		im := InspectMount{
			Type: m.Type, Source: m.Source, Destination: m.Destination, RW: !m.ReadOnly,
			Options: append([]string{}, m.Options...), Propagation: m.Propagation,
		}
		switch m.Type {
		case MountVolume:
			im.Name, im.Driver = m.Source, "local"
			im.Source = filepath.Join(vols.dir, m.Source, volumeDataDir)
			im.Options = append([]string{"nosuid", "nodev", "rbind"}, im.Options...)
		case MountBind:
			im.Options = append([]string{"rbind"}, im.Options...)
		case MountTmpfs:
			im.Source = "tmpfs"
			im.Options = append([]string{"nosuid", "nodev"}, im.Options...)
		}
		if m.Type != MountTmpfs && im.Propagation == "" {
			im.Propagation = "rprivate"
		}
		if m.Chown {
			im.Mode = "U"
		}
		d.Mounts = append(d.Mounts, im)
	}
}
