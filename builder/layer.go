package builder

import (
	"encoding/json"
	"fmt"
	"time"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/engine-dev/engine/storage"
)

// layerStep runs a step that changes the filesystem (RUN, COPY, ADD): a cached
// image for its key, or write(), which returns a layer whose changes on the
// stage's image become the step's layer, and a clean-up for that layer.
func (b *build) layerStep(st *stageState, createdBy string, keyParts []string, write func() (string, func(), error)) error {
	key := chain(st.key, keyParts...)
	if id, step, ok := b.cached(key); ok {
		cfg, err := b.stepConfig(id, step)
		if err != nil {
			return err
		}
		if step {
			fmt.Fprintf(b.out, "--> Using cache %s\n", id)
		}
		st.image, st.cfg, st.key, st.dirty, st.fresh, st.imageCfg, st.stepKey = id, *cfg, key, false, false, *cfg, key
		fmt.Fprintf(b.out, "--> %s\n", id[:11])
		return nil
	}
	layer, cleanup, err := write()
	if err != nil {
		return err
	}
	defer cleanup()
	now := time.Now().UTC()
	cfg := st.cfg
	cfg.Created = &now
	cfg.History = append(append([]imgspec.History(nil), st.cfg.History...), imgspec.History{Created: &now, CreatedBy: createdBy})
	img, err := b.s.NewImage(b.ctx, storage.NewImageOptions{Parent: st.image, Diff: layer, Config: cfg, Metadata: meta{key: key}.String()})
	if err != nil {
		return err
	}
	b.cache.add(key, img.ID)
	st.image, st.cfg, st.key, st.dirty, st.fresh, st.imageCfg, st.stepKey = img.ID, cfg, key, false, true, cfg, key
	fmt.Fprintf(b.out, "--> %s\n", img.ID[:11])
	return nil
}

// stepConfig is the config a cached step left: the image's own, or, for an
// image that took the step's place, the one it keeps for the step.
func (b *build) stepConfig(id string, step bool) (*imgspec.Image, error) {
	if !step {
		return b.s.ImageSpec(id)
	}
	data, err := b.s.ImageBigData(id, stepConfigData)
	if err != nil {
		return nil, fmt.Errorf("reading the step config of %s: %w", id[:12], err)
	}
	var cfg imgspec.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("reading the step config of %s: %w", id[:12], err)
	}
	return &cfg, nil
}

// scratchLayer makes a writable layer on the stage's image and mounts it for
// fill; it returns the layer, unmounted, and a clean-up that deletes it.
func (b *build) scratchLayer(st *stageState, fill func(rootfs string) error) (string, func(), error) {
	top := ""
	if st.image != "" {
		img, err := b.s.Image(st.image)
		if err != nil {
			return "", nil, err
		}
		top = img.TopLayer
	}
	l, err := b.s.CreateLayer("", top, nil, "", true, nil)
	if err != nil {
		return "", nil, fmt.Errorf("creating a layer: %w", err)
	}
	cleanup := func() { _ = b.s.DeleteLayer(l.ID) }
	rootfs, err := b.s.Mount(l.ID, "")
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("mounting a layer: %w", err)
	}
	err = fill(rootfs)
	if _, uerr := b.s.Unmount(l.ID, true); err == nil && uerr != nil {
		err = fmt.Errorf("unmounting a layer: %w", uerr)
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return l.ID, cleanup, nil
}
