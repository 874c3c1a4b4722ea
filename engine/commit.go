package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
	cstorage "go.podman.io/storage"

	"github.com/engine-dev/engine/storage"
)

// CommitOptions configure Commit.
type CommitOptions struct {
	Reference string   // name of the new image; "" for an untagged one
	Changes   []string // Dockerfile instructions applied to the config (-c)
	Message   string   // history comment (-m)
	Author    string   // -a
	Pause     bool     // freeze a running container while its layer is read
}

// Commit makes an image of the container: its image's layers plus one layer of
// the container's changes, with the container's runtime config (env, command,
// working directory, user, labels, stop signal) as podman commits it, then the
// changes applied. A running container may keep running (its changes are read
// from the overlay's upper directory while it writes, as podman does without
// --pause).
func (c *Container) Commit(ctx context.Context, o CommitOptions) (*cstorage.Image, error) {
	var names []string
	if o.Reference != "" {
		ref, err := storage.NormalizeName(o.Reference)
		if err != nil {
			return nil, err
		}
		names = []string{ref.String()}
	}
	cfg, err := c.commitConfig(o)
	if err != nil {
		return nil, err
	}
	if o.Pause {
		st, err := c.State()
		if err != nil {
			return nil, err
		}
		if st.Status == StatusRunning {
			if err := c.Pause(); err != nil {
				return nil, err
			}
			defer func() { _ = c.Unpause() }()
		}
	}
	end, err := c.r.store.BeginWrite()
	if err != nil {
		return nil, err
	}
	img, err := c.r.store.NewImage(ctx, storage.NewImageOptions{
		Parent: c.Config.ImageID, Diff: c.Layer, Config: *cfg, Names: names,
	})
	end(err != nil)
	if err != nil {
		return nil, fmt.Errorf("committing %s: %w", c.Name, err)
	}
	return img, nil
}

// commitConfig is the container image's config with the container's settings
// and o's changes, author and history entry.
func (c *Container) commitConfig(o CommitOptions) (*imgspec.Image, error) {
	base, err := c.r.store.ImageSpec(c.Config.ImageID)
	if err != nil {
		return nil, err
	}
	cfg := *base
	cc := &cfg.Config
	cc.Env = append([]string(nil), c.Config.Env...)
	cc.Entrypoint = append([]string(nil), c.Config.Entrypoint...)
	cc.Cmd = append([]string(nil), c.Config.Cmd...)
	cc.WorkingDir = c.Config.WorkDir
	cc.User = c.Config.User
	cc.StopSignal = c.Config.StopSignal
	if len(c.Config.Labels) > 0 {
		cc.Labels = mergeLabels(nil, c.Config.Labels)
	}
	if err := storage.ApplyChanges(cc, o.Changes); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrInvalidArg)
	}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.Author = o.Author
	comment := o.Message
	if comment == "" && c.Config.ImageName != "" {
		comment = "FROM " + c.Config.ImageName
	}
	cfg.History = append(append([]imgspec.History(nil), base.History...), imgspec.History{
		Created: &now, CreatedBy: strings.Join(c.Config.Args, " "), Author: o.Author, Comment: comment,
	})
	return &cfg, nil
}
