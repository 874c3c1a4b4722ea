package engine

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// propagations are the bind propagation modes mount(8) knows.
var propagations = map[string]bool{
	"shared": true, "slave": true, "private": true, "unbindable": true,
	"rshared": true, "rslave": true, "rprivate": true, "runbindable": true,
}

// flagOptions are mount(8) flags a user may add to a bind or volume mount.
var flagOptions = map[string]bool{
	"nosuid": true, "suid": true, "nodev": true, "dev": true, "noexec": true, "exec": true,
}

// ParseVolumeFlag parses -v: SRC:DST[:OPTS] (SRC an absolute or ./relative host path,
// or a volume name) or DST alone (an anonymous volume). OPTS is a comma list of ro,
// rw, z, Z (SELinux labels: accepted and ignored here), U, nocopy, copy, a
// propagation mode, and nosuid/nodev/noexec and their opposites.
func ParseVolumeFlag(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	if s == "" || len(parts) > 3 {
		return Mount{}, fmt.Errorf("invalid volume specification %q (want SRC:DST[:OPTS] or DST): %w", s, ErrInvalidArg)
	}
	if len(parts) == 1 {
		dst, err := containerPath(parts[0])
		if err != nil {
			return Mount{}, err
		}
		return Mount{Type: MountVolume, Source: newVolumeName(), Destination: dst, Anonymous: true}, nil
	}
	m, err := volumeSource(parts[0])
	if err != nil {
		return Mount{}, err
	}
	if m.Destination, err = containerPath(parts[1]); err != nil {
		return Mount{}, err
	}
	if len(parts) == 3 {
		if err := applyVolumeOpts(&m, strings.Split(parts[2], ",")); err != nil {
			return Mount{}, fmt.Errorf("volume %s: %w", s, err)
		}
	}
	return m, nil
}

// volumeSource tells a host path from a volume name.
func volumeSource(src string) (Mount, error) {
	switch {
	case src == "":
		return Mount{}, fmt.Errorf("empty volume source: %w", ErrInvalidArg)
	case strings.HasPrefix(src, "/"):
		return Mount{Type: MountBind, Source: filepath.Clean(src)}, nil
	case src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		abs, err := filepath.Abs(src)
		if err != nil {
			return Mount{}, fmt.Errorf("volume source %s: %w", src, err)
		}
		return Mount{Type: MountBind, Source: abs}, nil
	}
	if err := ValidVolumeName(src); err != nil {
		return Mount{}, err
	}
	return Mount{Type: MountVolume, Source: src}, nil
}

// containerPath checks a mount destination: absolute, cleaned, not the root.
func containerPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("invalid container path %q, must be an absolute path: %w", p, ErrInvalidArg)
	}
	p = filepath.Clean(p)
	if p == "/" {
		return "", fmt.Errorf("invalid container path \"/\": cannot mount over the root: %w", ErrInvalidArg)
	}
	return p, nil
}

func applyVolumeOpts(m *Mount, opts []string) error {
	var mode string
	for _, o := range opts {
		switch {
		case o == "ro" || o == "rw":
			if mode != "" && mode != o {
				return fmt.Errorf("ro and rw are mutually exclusive: %w", ErrInvalidArg)
			}
			mode, m.ReadOnly = o, o == "ro"
		case o == "z" || o == "Z":
			// SELinux relabelling: nothing to do without SELinux.
		case o == "U":
			m.Chown = true
		case o == "nocopy" || o == "copy":
			if m.Type != MountVolume {
				return fmt.Errorf("option %q applies to volumes only: %w", o, ErrInvalidArg)
			}
			m.NoCopy = o == "nocopy"
		case o == "bind" || o == "rbind":
			// Always a recursive bind.
		case propagations[o]:
			if m.Propagation != "" {
				return fmt.Errorf("only one propagation mode may be given: %w", ErrInvalidArg)
			}
			m.Propagation = o
		case flagOptions[o]:
			m.Options = append(m.Options, o)
		default:
			return fmt.Errorf("invalid option %q: %w", o, ErrInvalidArg)
		}
	}
	return nil
}

// tmpfsOptions are the options --tmpfs passes to the kernel.
var tmpfsOptions = map[string]bool{
	"ro": true, "rw": true, "nosuid": true, "suid": true, "nodev": true, "dev": true,
	"noexec": true, "exec": true, "size": true, "mode": true, "uid": true, "gid": true,
	"nr_inodes": true, "nr_blocks": true, "noatime": true, "atime": true, "strictatime": true,
	"relatime": true, "norelatime": true,
}

// ParseTmpfsFlag parses --tmpfs DST[:OPTS], OPTS as mount(8) takes them for tmpfs
// (size=64m, mode=1777, noexec, ...).
func ParseTmpfsFlag(s string) (Mount, error) {
	dst, opts, _ := strings.Cut(s, ":")
	d, err := containerPath(dst)
	if err != nil {
		return Mount{}, err
	}
	m := Mount{Type: MountTmpfs, Destination: d}
	if opts == "" {
		return m, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		if !tmpfsOptions[k] {
			return Mount{}, fmt.Errorf("--tmpfs %s: invalid option %q: %w", s, o, ErrInvalidArg)
		}
		switch k {
		case "ro", "rw":
			m.ReadOnly = k == "ro"
			continue
		case "size":
			n, err := units.RAMInBytes(v)
			if err != nil || n <= 0 {
				return Mount{}, fmt.Errorf("--tmpfs %s: invalid size %q: %w", s, v, ErrInvalidArg)
			}
			o = "size=" + strconv.FormatInt(n, 10)
		case "mode":
			if _, err := strconv.ParseUint(v, 8, 32); err != nil {
				return Mount{}, fmt.Errorf("--tmpfs %s: invalid mode %q (want octal): %w", s, v, ErrInvalidArg)
			}
		}
		m.Options = append(m.Options, o)
	}
	return m, nil
}
