package engine

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// ParseMountFlag parses --mount, docker's CSV form: type=bind|volume|tmpfs,
// source/src, destination/dst/target, ro/readonly[=bool], rw[=bool], bind-propagation,
// bind-create (make a missing bind source), volume-nocopy, tmpfs-size, tmpfs-mode,
// U/chown[=bool], relabel (ignored).
func ParseMountFlag(s string) (Mount, error) {
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil || s == "" {
		return Mount{}, fmt.Errorf("invalid --mount %q: %w", s, ErrInvalidArg)
	}
	m := Mount{Type: MountVolume}
	kv := map[string]string{}
	for _, f := range fields {
		k, v, hasV := strings.Cut(strings.TrimSpace(f), "=")
		if !hasV {
			v = "true" // a bare flag: ro, readonly, U, volume-nocopy, bind-create
		}
		if _, dup := kv[k]; dup {
			return Mount{}, fmt.Errorf("--mount %s: %s given twice: %w", s, k, ErrInvalidArg)
		}
		kv[k] = v
	}
	if t, ok := kv["type"]; ok {
		m.Type = t
		delete(kv, "type")
	}
	if m.Type != MountBind && m.Type != MountVolume && m.Type != MountTmpfs {
		return Mount{}, fmt.Errorf("--mount %s: invalid filesystem type %q (want bind, volume or tmpfs): %w", s, m.Type, ErrInvalidArg)
	}
	if err := applyMountKeys(&m, kv); err != nil {
		return Mount{}, fmt.Errorf("--mount %s: %w", s, err)
	}
	return m, nil
}

// mountKeys lists the --mount keys each type takes (type and the common ones aside).
var mountKeys = map[string]map[string]bool{
	MountBind:   {"bind-propagation": true, "bind-create": true, "U": true, "chown": true, "relabel": true},
	MountVolume: {"volume-nocopy": true, "nocopy": true, "U": true, "chown": true, "relabel": true},
	MountTmpfs:  {"tmpfs-size": true, "tmpfs-mode": true},
}

func applyMountKeys(m *Mount, kv map[string]string) error {
	var src string
	for k, v := range kv {
		var err error
		switch k {
		case "source", "src":
			src = v
		case "destination", "dst", "target":
			m.Destination, err = containerPath(v)
		case "ro", "readonly":
			m.ReadOnly, err = parseBoolOpt(k, v)
		case "rw":
			var rw bool
			rw, err = parseBoolOpt(k, v)
			m.ReadOnly = !rw
		default:
			if !mountKeys[m.Type][k] {
				return fmt.Errorf("option %q is not valid for type %s: %w", k, m.Type, ErrInvalidArg)
			}
			err = applyTypedKey(m, k, v)
		}
		if err != nil {
			return err
		}
	}
	if m.Destination == "" {
		return fmt.Errorf("a destination (dst=, target=) is required: %w", ErrInvalidArg)
	}
	return mountSource(m, src)
}

func applyTypedKey(m *Mount, k, v string) error {
	var err error
	switch k {
	case "bind-propagation":
		if !propagations[v] {
			return fmt.Errorf("invalid bind-propagation %q: %w", v, ErrInvalidArg)
		}
		m.Propagation = v
	case "bind-create":
		m.Create, err = parseBoolOpt(k, v)
	case "U", "chown":
		m.Chown, err = parseBoolOpt(k, v)
	case "volume-nocopy", "nocopy":
		m.NoCopy, err = parseBoolOpt(k, v)
	case "tmpfs-size":
		var n int64
		if n, err = units.RAMInBytes(v); err != nil || n <= 0 {
			return fmt.Errorf("invalid tmpfs-size %q: %w", v, ErrInvalidArg)
		}
		m.Options = append(m.Options, "size="+strconv.FormatInt(n, 10))
	case "tmpfs-mode":
		if _, err := strconv.ParseUint(v, 8, 32); err != nil {
			return fmt.Errorf("invalid tmpfs-mode %q (want octal): %w", v, ErrInvalidArg)
		}
		m.Options = append(m.Options, "mode="+v)
	}
	return err
}

// mountSource checks the source a --mount type needs.
func mountSource(m *Mount, src string) error {
	switch m.Type {
	case MountTmpfs:
		if src != "" {
			return fmt.Errorf("a tmpfs mount takes no source: %w", ErrInvalidArg)
		}
	case MountBind:
		if !strings.HasPrefix(src, "/") {
			return fmt.Errorf("a bind mount needs an absolute source path, got %q: %w", src, ErrInvalidArg)
		}
		m.Source = filepath.Clean(src)
	case MountVolume:
		if src == "" {
			m.Source, m.Anonymous = newVolumeName(), true
			return nil
		}
		if err := ValidVolumeName(src); err != nil {
			return err
		}
		m.Source = src
	}
	return nil
}

func parseBoolOpt(k, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid value %q for %s (want true or false): %w", v, k, ErrInvalidArg)
	}
	return b, nil
}
