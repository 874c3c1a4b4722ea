package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/engine-dev/engine/engine"
)

// runMounts turns a RUN's --mount flags into the container's mounts and the
// parts they add to the step's cache key: type=cache (a directory kept in the
// store per id, not part of the key, as docker's), type=bind (read-only, from
// the context or a stage; the digest of what it shows is part of the key),
// type=tmpfs and type=secret (a --secret file, read-only, not in the key).
// ssh agents are not supported. release unmounts the stage images that binds
// show.
func (b *build) runMounts(st *stageState, c *instructions.RunCommand) (engine.MountOptions, []string, func(), error) {
	var o engine.MountOptions
	var key []string
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	for _, m := range instructions.GetMounts(c) {
		if m.Type == instructions.MountTypeSecret {
			spec, err := b.secretMount(m)
			if err != nil {
				release()
				return o, nil, nil, err
			}
			if spec != "" {
				o.Mounts = append(o.Mounts, spec)
			}
			continue
		}
		if m.Type != instructions.MountTypeCache && m.Type != instructions.MountTypeTmpfs && m.Type != instructions.MountTypeBind {
			release()
			return o, nil, nil, fmt.Errorf("RUN --mount=type=%s is not supported: %w", m.Type, ErrInvalidArg)
		}
		target := m.Target
		if target == "" {
			release()
			return o, nil, nil, fmt.Errorf("RUN --mount: a target is required: %w", ErrInvalidArg)
		}
		if !path.IsAbs(target) {
			target = path.Join(workdir(st), target)
		}
		switch m.Type {
		case instructions.MountTypeCache:
			dir, err := b.cacheDir(m)
			if err != nil {
				release()
				return o, nil, nil, err
			}
			o.Mounts = append(o.Mounts, "type=bind,src="+dir+",dst="+target)
			key = append(key, "cache", target, m.CacheID)
		case instructions.MountTypeTmpfs:
			o.Tmpfs = append(o.Tmpfs, target)
			key = append(key, "tmpfs", target)
		case instructions.MountTypeBind:
			spec, sum, rel, err := b.bindMount(m, target)
			if rel != nil {
				releases = append(releases, rel)
			}
			if err != nil {
				release()
				return o, nil, nil, err
			}
			o.Mounts = append(o.Mounts, spec)
			key = append(key, "bind", target, sum)
		}
	}
	return o, key, release, nil
}

// cacheDir is the directory of a cache mount, made on first use with the
// mount's mode and owner.
func (b *build) cacheDir(m *instructions.Mount) (string, error) {
	id := m.CacheID
	if id == "" {
		id = m.Target
	}
	sum := sha256.Sum256([]byte(id))
	dir := filepath.Join(b.s.GraphRoot(), "engine", "build-cache", hex.EncodeToString(sum[:16]))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	mode := os.FileMode(0o755)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return "", fmt.Errorf("RUN --mount=type=cache: %w", err)
	}
	_ = os.Chmod(dir, mode)
	if m.UID != nil || m.GID != nil {
		uid, gid := 0, 0
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", fmt.Errorf("RUN --mount=type=cache: %w", err)
		}
	}
	return dir, nil
}

// bindMount resolves a bind mount's source in the context (or in a stage or
// image with from=) and returns the --mount spec and the digest of the source.
func (b *build) bindMount(m *instructions.Mount, target string) (string, string, func(), error) {
	if !m.ReadOnly {
		return "", "", nil, fmt.Errorf("RUN --mount=type=bind,rw is not supported (a bind is read-only): %w", ErrInvalidArg)
	}
	src, release := b.context, func() {}
	if m.From != "" {
		s, rel, err := b.fromSource(m.From)
		if err != nil {
			return "", "", nil, err
		}
		src, release = s, rel
	}
	source := m.Source
	if source == "" {
		source = "."
	}
	rels, err := src.resolve(source)
	if err != nil {
		return "", "", release, err
	}
	if len(rels) != 1 {
		return "", "", release, fmt.Errorf("RUN --mount source %s: names %d files: %w", source, len(rels), ErrInvalidArg)
	}
	sum, err := src.digest(rels)
	if err != nil {
		return "", "", release, err
	}
	spec := "type=bind,src=" + filepath.Join(src.root, rels[0]) + ",dst=" + target + ",ro"
	return spec, sum, release, nil
}

// secretMount binds the --secret file with the mount's id at its target
// (default /run/secrets/ID); a secret that was not given is an error only when
// the mount is required, as in docker.
func (b *build) secretMount(m *instructions.Mount) (string, error) {
	id := secretID(m)
	if m.Env != nil {
		return "", fmt.Errorf("RUN --mount=type=secret,env= is not supported: %w", ErrInvalidArg)
	}
	src, ok := b.o.Secrets[id]
	if !ok {
		if m.Required {
			return "", fmt.Errorf("secret %q required but not given (--secret id=%s,src=FILE): %w", id, id, ErrInvalidArg)
		}
		return "", nil
	}
	return "type=bind,src=" + src + ",dst=" + mountTarget(m) + ",ro", nil
}

// secretID is a secret mount's id: id=, source= or the target's name.
func secretID(m *instructions.Mount) string {
	for _, id := range []string{m.CacheID, m.Source} {
		if id != "" {
			return id
		}
	}
	return path.Base(m.Target)
}

// mountTarget is where a mount shows: its target, or /run/secrets/ID for a
// secret without one.
func mountTarget(m *instructions.Mount) string {
	if m.Target == "" && m.Type == instructions.MountTypeSecret {
		return "/run/secrets/" + secretID(m)
	}
	return m.Target
}
