package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cfilters "go.podman.io/common/pkg/filters"
	"go.podman.io/storage/pkg/archive"
)

// Rename gives the container a new name; renaming to its own name does nothing, as
// in podman.
//
// containers/storage's SetNames takes a name from whichever container holds it, so
// the check and the change run under the store-wide names lock (two renames to one
// name: the second fails), and a create that took the name between the check and
// SetNames (create does not take the names lock) is seen afterwards, by its
// record's name, and gets the name back.
func (c *Container) Rename(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	unlockNames, err := c.r.namesLock()
	if err != nil {
		return err
	}
	defer unlockNames()
	sc, err := c.r.store.Container(c.ID) // as it is now, under the lock
	if err != nil {
		return fmt.Errorf("renaming %s: %w", c.Name, err)
	}
	cur, err := c.r.fromStore(sc)
	if err != nil {
		return err
	}
	if cur.Name == name {
		return nil
	}
	inUse := fmt.Errorf("the container name %q is already in use: %w", name, ErrNameInUse)
	if other, err := c.r.store.Container(name); err == nil && other.ID != c.ID && slices.Contains(other.Names, name) {
		return inUse
	}
	if err := c.r.store.SetNames(c.ID, []string{name}); err != nil { //nolint:staticcheck // replace, not add
		return fmt.Errorf("renaming %s: %w", cur.Name, err)
	}
	if victim := c.r.nameClaimedByOther(c.ID, name); victim != "" {
		_ = c.r.store.SetNames(victim, []string{name})   //nolint:staticcheck // give it back
		_ = c.r.store.SetNames(c.ID, []string{cur.Name}) //nolint:staticcheck
		return inUse
	}
	cur.Config.Name = name
	meta, err := cur.Config.marshal()
	if err == nil {
		err = c.r.store.SetMetadata(c.ID, meta)
	}
	if err != nil {
		_ = c.r.store.SetNames(c.ID, []string{cur.Name}) //nolint:staticcheck // undo
		return fmt.Errorf("renaming %s: %w", cur.Name, err)
	}
	c.Name, c.Config = name, cur.Config
	return nil
}

// namesLock takes the store-wide lock of container renames.
func (r *Runtime) namesLock() (func(), error) {
	dir := filepath.Join(r.store.GraphRoot(), "engine")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return flockPath(filepath.Join(dir, "names.lock"))
}

// nameClaimedByOther returns the id of another container whose record is named
// name, or "".
func (r *Runtime) nameClaimedByOther(id, name string) string {
	all, err := r.store.Containers()
	if err != nil {
		return ""
	}
	for i := range all {
		if all[i].ID == id || !strings.Contains(all[i].Metadata, `"engine":1`) {
			continue
		}
		if cfg, err := parseConfig(all[i].ID, all[i].Metadata); err == nil && cfg.Name == name {
			return all[i].ID
		}
	}
	return ""
}

// Change is one line of `diff`: A(dded), C(hanged) or D(eleted) and the path.
type Change struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
}

// diffHidden are the paths the engine itself makes in a container's layer, as
// mount points of what it binds in; podman hides its own (libpod/diff.go), so
// that diff shows what the container changed.
var diffHidden = map[string]bool{
	"/dev": true, "/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true, "/etc/mtab": true,
	"/proc": true, "/run": true, "/run/notify": true, "/run/.containerenv": true, "/run/secrets": true,
	"/sys": true, initPath: true,
}

// Diff lists the changes of the container's filesystem against its image.
func (c *Container) Diff() ([]Change, error) {
	changes, err := c.r.store.Changes("", c.Layer)
	if err != nil {
		return nil, fmt.Errorf("diff of %s: %w", c.Name, err)
	}
	out := make([]Change, 0, len(changes))
	for _, ch := range changes {
		if diffHidden[ch.Path] {
			continue
		}
		k := "C"
		switch ch.Kind {
		case archive.ChangeAdd:
			k = "A"
		case archive.ChangeDelete:
			k = "D"
		}
		out = append(out, Change{Kind: k, Path: ch.Path})
	}
	return out, nil
}

// Export writes the container's filesystem as a tar stream.
func (c *Container) Export(w io.Writer) error {
	return c.withRoot(func(root string) error {
		rc, err := archive.Tar(root, archive.Uncompressed)
		if err != nil {
			return fmt.Errorf("exporting %s: %w", c.Name, err)
		}
		defer rc.Close()
		if _, err := io.Copy(w, rc); err != nil {
			return fmt.Errorf("exporting %s: %w", c.Name, err)
		}
		return nil
	})
}

// Prune removes every container that is not running and that passes filters
// (podman's `container prune --filter`: label=KEY[=VALUE], label!=KEY[=VALUE],
// until=TIMESTAMP|DURATION), and returns their ids.
func (r *Runtime) Prune(filters ...string) ([]string, error) {
	keep, err := pruneFilter(filters)
	if err != nil {
		return nil, err
	}
	ctrs, err := r.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range ctrs {
		if !keep(c) {
			continue
		}
		st, err := c.State()
		if err != nil || st.Running() || (st.Status == StatusCreated && st.MonitorPid != 0) {
			continue
		}
		if err := c.Remove(false); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.ID)
	}
	return removed, errors.Join(errs...)
}

// pruneFilter parses prune's filters into one predicate: every key must hold,
// label (and label!) filters each on their own, as podman.
func pruneFilter(filters []string) (func(*Container) bool, error) {
	var labels, notLabels []string
	var until time.Time
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "label":
			labels = append(labels, v)
		case "label!":
			notLabels = append(notLabels, v)
		case "until":
			t, err := cfilters.ComputeUntilTimestamp([]string{v})
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v: %w", f, err, ErrInvalidArg)
			}
			until = t
		default:
			return nil, fmt.Errorf("invalid filter %q: %s is not one of label, label! and until: %w", f, k, ErrInvalidArg)
		}
	}
	return func(c *Container) bool {
		return cfilters.MatchLabelFilters(labels, c.Config.Labels) &&
			cfilters.MatchNegatedLabelFilters(notLabels, c.Config.Labels) &&
			(until.IsZero() || c.Config.Created.Before(until))
	}, nil
}
