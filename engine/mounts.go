package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MountOptions are the mount flags of create/run (issue #4): -v, --mount, --tmpfs,
// --volumes-from, --read-only. The strings are the flags' values as typed.
type MountOptions struct {
	Volumes     []string // -v SRC:DST[:OPTS] or -v DST
	Mounts      []string // --mount type=...,src=...,dst=...
	Tmpfs       []string // --tmpfs DST[:OPTS]
	VolumesFrom []string // --volumes-from CTR[:ro|rw]
	ReadOnly    bool     // --read-only
	// ReadOnlyTmpfs is podman's --read-only-tmpfs: with --read-only, writable tmpfs at
	// /tmp, /var/tmp and /run. nil means podman's default, true.
	ReadOnlyTmpfs *bool
	// ImageVolume is podman's --image-volume: what the image's VOLUME entries
	// become: "bind" (anonymous volumes, the default), "tmpfs" or "ignore".
	ImageVolume string
}

// Mount types.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
)

// Mount is one mount the container asked for, validated. Volumes are referred to by
// name; the host path of a volume is looked up at start, so a volume removed with -f
// and made again still works.
type Mount struct {
	Type        string   `json:"type"`
	Source      string   `json:"source,omitempty"` // host path (bind) or volume name
	Destination string   `json:"destination"`
	ReadOnly    bool     `json:"readOnly,omitempty"`
	Propagation string   `json:"propagation,omitempty"` // bind and volume; "" is rprivate
	Options     []string `json:"options,omitempty"`     // mount(8) options: nosuid, tmpfs size=, mode=, ...
	Chown       bool     `json:"chown,omitempty"`       // U: chown the source to the container's user
	NoCopy      bool     `json:"noCopy,omitempty"`      // a new volume is not pre-filled from the image
	Anonymous   bool     `json:"anonymous,omitempty"`   // -v DST or an image VOLUME: removed with rm -v
	Create      bool     `json:"create,omitempty"`      // --mount bind-create: make a missing bind source
}

// MountConfig is what Create kept of MountOptions, in the container's Config.
type MountConfig struct {
	Mounts        []Mount `json:"mounts,omitempty"`
	ReadOnly      bool    `json:"readOnly,omitempty"`
	ReadOnlyTmpfs bool    `json:"readOnlyTmpfs,omitempty"`
}

// Destinations lists the container paths of the user's mounts (ps's Mounts column).
func (m MountConfig) Destinations() []string {
	out := []string{}
	for _, x := range m.Mounts {
		out = append(out, x.Destination)
	}
	return out
}

// applyMounts validates o against the image (its VOLUME entries) and records it in
// cfg. It makes nothing: volumes are made when the container first starts
// (prepareVolume), so that a create that fails in a later step (another option,
// a taken name) leaves no volume behind.
func (r *Runtime) applyMounts(cfg *Config, o MountOptions, ic imgspec.ImageConfig) error {
	mounts, err := r.parseMountOptions(o)
	if err != nil {
		return err
	}
	switch o.ImageVolume {
	case "", "bind", "anonymous":
		mounts = addImageVolumes(mounts, ic.Volumes, MountVolume)
	case "tmpfs":
		mounts = addImageVolumes(mounts, ic.Volumes, MountTmpfs)
	case "ignore":
	default:
		return fmt.Errorf("invalid --image-volume %q (want bind, tmpfs or ignore): %w", o.ImageVolume, ErrInvalidArg)
	}
	if err := checkDuplicates(mounts); err != nil {
		return err
	}
	for i := range mounts {
		if err := checkBindSource(&mounts[i]); err != nil {
			return err
		}
	}
	cfg.Mounts = MountConfig{Mounts: mounts, ReadOnly: o.ReadOnly, ReadOnlyTmpfs: o.ReadOnlyTmpfs == nil || *o.ReadOnlyTmpfs}
	return nil
}

// parseMountOptions turns the flags into mounts; --volumes-from first, so that the
// container's own flags override what it copies (docker's order).
func (r *Runtime) parseMountOptions(o MountOptions) ([]Mount, error) {
	var mounts []Mount
	for _, vf := range o.VolumesFrom {
		m, err := r.volumesFrom(vf)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, m...)
	}
	var own []Mount
	for _, v := range o.Volumes {
		m, err := ParseVolumeFlag(v)
		if err != nil {
			return nil, err
		}
		own = append(own, m)
	}
	for _, v := range o.Mounts {
		m, err := ParseMountFlag(v)
		if err != nil {
			return nil, err
		}
		own = append(own, m)
	}
	for _, v := range o.Tmpfs {
		m, err := ParseTmpfsFlag(v)
		if err != nil {
			return nil, err
		}
		own = append(own, m)
	}
	if err := checkDuplicates(own); err != nil {
		return nil, err
	}
	return overrideByDestination(mounts, own), nil
}

// overrideByDestination returns base without the mounts whose destination one of
// over has, followed by over.
func overrideByDestination(base, over []Mount) []Mount {
	taken := map[string]bool{}
	for _, m := range over {
		taken[m.Destination] = true
	}
	var out []Mount
	for _, m := range base {
		if !taken[m.Destination] {
			out = append(out, m)
		}
	}
	return append(out, over...)
}

// addImageVolumes adds an anonymous volume (or a tmpfs, by typ) for each of the
// image's VOLUME entries that no user mount covers.
func addImageVolumes(mounts []Mount, vols map[string]struct{}, typ string) []Mount {
	taken := map[string]bool{}
	for _, m := range mounts {
		taken[m.Destination] = true
	}
	var dests []string
	for d := range vols {
		d = filepath.Clean(d)
		if filepath.IsAbs(d) && !taken[d] {
			taken[d] = true
			dests = append(dests, d)
		}
	}
	sort.Strings(dests)
	for _, d := range dests {
		if typ == MountTmpfs {
			mounts = append(mounts, Mount{Type: MountTmpfs, Destination: d})
			continue
		}
		mounts = append(mounts, Mount{Type: MountVolume, Source: newVolumeName(), Destination: d, Anonymous: true})
	}
	return mounts
}

func checkDuplicates(mounts []Mount) error {
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Destination] {
			return fmt.Errorf("%s: duplicate mount destination: %w", m.Destination, ErrInvalidArg)
		}
		seen[m.Destination] = true
	}
	return nil
}

// checkBindSource requires a bind source to exist (docker would make a directory;
// a typo should not silently become an empty directory), unless bind-create asks
// for one.
func checkBindSource(m *Mount) error {
	if m.Type != MountBind || m.Create {
		return nil
	}
	if _, err := os.Stat(m.Source); err != nil {
		return fmt.Errorf("bind mount source %s: %w: %w", m.Source, unwrapPathError(err), ErrInvalidArg)
	}
	return nil
}

// unwrapPathError drops the path an *os.PathError repeats ("stat /x: no such ...").
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// volumesFrom copies the bind and volume mounts of another container; "ro" or "rw"
// after a colon forces the mode, as in docker.
func (r *Runtime) volumesFrom(arg string) ([]Mount, error) {
	name, mode, hasMode := strings.Cut(arg, ":")
	if hasMode && mode != "ro" && mode != "rw" {
		return nil, fmt.Errorf("--volumes-from %s: invalid mode %q (want ro or rw): %w", arg, mode, ErrInvalidArg)
	}
	src, err := r.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("--volumes-from: %w", err)
	}
	var out []Mount
	for _, m := range src.Config.Mounts.Mounts {
		if m.Type == MountTmpfs {
			continue
		}
		if hasMode {
			m.ReadOnly = mode == "ro"
		}
		m.Options = append([]string(nil), m.Options...)
		out = append(out, m)
	}
	return out, nil
}
