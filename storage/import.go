package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/tarball"
	cstorage "go.podman.io/storage"
)

// ImportOptions configure Import.
type ImportOptions struct {
	Reference string   // name for the new image; empty for an untagged one
	Changes   []string // Dockerfile instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR
	Message   string   // history comment
}

// Import turns a rootfs tarball (read whole from r) into a one-layer image.
func (s *Store) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*cstorage.Image, error) {
	var dest reference.Named
	if opts.Reference != "" {
		n, err := NormalizeName(opts.Reference)
		if err != nil {
			return nil, err
		}
		dest = n
	}
	cfg := imgspec.Image{Platform: imgspec.Platform{Architecture: runtime.GOARCH, OS: "linux"}}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if err := applyChanges(&cfg.Config, opts.Changes); err != nil {
		return nil, err
	}
	comment := opts.Message
	if comment == "" {
		comment = "imported from tarball"
	}
	cfg.History = []imgspec.History{{Created: &now, CreatedBy: "engine import", Comment: comment}}

	sys := s.SystemContext()
	tmp, err := os.CreateTemp(sys.BigFilesTemporaryDir, "import-*.tar")
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r); err != nil {
		return nil, fmt.Errorf("import: reading tarball: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := checkLayerTar(tmp); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	ref, err := tarball.NewReference([]string{tmp.Name()}, nil)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := ref.(tarball.ConfigUpdater).ConfigUpdate(cfg, nil); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	img, err := s.copyIn(ctx, sys, ref, dest, nil)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return img, nil
}

// applyChanges applies `--change` instructions in Dockerfile syntax to an image config.
func applyChanges(c *imgspec.ImageConfig, changes []string) error {
	for _, ch := range changes {
		instr, arg, _ := strings.Cut(strings.TrimSpace(ch), " ")
		arg = strings.TrimSpace(arg)
		bad := func(why string) error { return fmt.Errorf("invalid change %q: %s", ch, why) }
		switch strings.ToUpper(instr) {
		case "CMD", "ENTRYPOINT":
			v := parseCommand(arg)
			if strings.ToUpper(instr) == "CMD" {
				c.Cmd = v
			} else {
				c.Entrypoint = v
			}
		case "ENV":
			for _, kv := range splitKV(arg) {
				c.Env = setEnv(c.Env, kv)
			}
		case "LABEL":
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			for _, kv := range splitKV(arg) {
				k, v, _ := strings.Cut(kv, "=")
				c.Labels[k] = strings.Trim(v, `"`)
			}
		case "EXPOSE":
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(arg) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				c.ExposedPorts[p] = struct{}{}
			}
		case "USER":
			c.User = arg
		case "WORKDIR":
			c.WorkingDir = arg
		case "VOLUME":
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			for _, v := range parseList(arg) {
				c.Volumes[v] = struct{}{}
			}
		case "STOPSIGNAL":
			c.StopSignal = arg
		default:
			return bad("unknown instruction " + instr)
		}
		if arg == "" {
			return bad("missing argument")
		}
	}
	return nil
}

// parseCommand reads the JSON form ["a","b"] or, failing that, the shell form.
func parseCommand(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	return []string{"/bin/sh", "-c", arg}
}

// parseList reads VOLUME's argument: the JSON form ["/a","/b"] or paths separated
// by white space (not a shell command: "VOLUME /data" is the one path /data).
func parseList(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	return strings.Fields(arg)
}

// splitKV splits "A=1 B=2" (or the legacy "A 1") into KEY=VALUE items.
func splitKV(arg string) []string {
	if !strings.Contains(arg, "=") {
		k, v, _ := strings.Cut(arg, " ")
		return []string{k + "=" + strings.TrimSpace(v)}
	}
	return strings.Fields(arg)
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}
