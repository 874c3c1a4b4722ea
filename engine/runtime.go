package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/unshare"

	"github.com/engine-dev/engine/storage"
)

// Runtime runs containers on one store. It is cheap: every engine invocation makes one.
type Runtime struct {
	store    *storage.Store // nil for a lister (NewLister)
	paths    storage.Paths  // where the store keeps container directories
	records  []storage.ContainerRecord
	exe      string   // this binary, re-executed for the monitor and its helpers
	global   []string // global flags that select the same store in helpers
	rootless bool
}

// Options configure New.
type Options struct {
	// GlobalArgs are the CLI's global flags (--root ... --runroot ...) to pass on to the
	// helpers the monitor runs, so that they open the same store.
	GlobalArgs []string
}

// New returns a runtime on store.
func New(store *storage.Store, opts Options) (*Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding own executable: %w", err)
	}
	paths := storage.Paths{GraphRoot: store.GraphRoot(), RunRoot: store.RunRoot(), Driver: store.GraphDriverName()}
	return &Runtime{store: store, paths: paths, exe: exe, global: opts.GlobalArgs, rootless: unshare.IsRootless()}, nil
}

// NewLister returns a runtime that only lists containers and reads their state,
// from records read without opening the store (storage.ReadContainerRecords):
// `ps` with a thousand containers costs what reading their files costs. It does
// not reconcile a container whose monitor died; the next command on it does.
func NewLister(paths storage.Paths, records []storage.ContainerRecord) *Runtime {
	return &Runtime{paths: paths, records: records, rootless: unshare.IsRootless()}
}

// Store returns the runtime's image store.
func (r *Runtime) Store() *storage.Store { return r.store }

// Container is one container: its record in the store and its config.
type Container struct {
	ID     string
	Name   string
	Config *Config
	Layer  string
	r      *Runtime
	// idleNets, when not nil, collects what teardownNet leaves to do after the
	// container's lock is released (netcni.TeardownDeferred).
	idleNets *[]func()
}

// runDir and dataDir are where containers/storage keeps a container's directories
// (its ContainerRunDirectory and ContainerDirectory), computed without the store's
// lock and lookup: `ps` reads state from them for every container. The directories
// may be missing (a reboot empties the run root); Start makes them.
func (r *Runtime) runDir(id string) (string, error) {
	return filepath.Join(r.paths.RunRoot, r.paths.Driver+"-containers", id, "userdata"), nil
}

func (r *Runtime) dataDir(id string) (string, error) {
	return filepath.Join(r.paths.GraphRoot, r.paths.Driver+"-containers", id, "userdata"), nil
}

// RunDir is the container's volatile directory (tmpfs): monitor files, exit code.
func (c *Container) RunDir() (string, error) { return c.r.runDir(c.ID) }

// DataDir is the container's persistent directory: logs, last exit.
func (c *Container) DataDir() (string, error) { return c.r.dataDir(c.ID) }

// LogPath is the container's json-file log.
func (c *Container) LogPath() string {
	d, err := c.DataDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "ctr.log")
}

func (r *Runtime) fromStore(sc *cstorage.Container) (*Container, error) {
	return r.fromRecord(sc.ID, sc.Names, sc.LayerID, sc.Metadata)
}

func (r *Runtime) fromRecord(id string, names []string, layer, metadata string) (*Container, error) {
	cfg, err := parseConfig(id, metadata)
	if err != nil {
		return nil, err
	}
	if cfg.Engine != 1 {
		return nil, fmt.Errorf("container %s was not made by engine: %w", shortID(id), ErrNoSuchContainer)
	}
	name := cfg.Name
	if len(names) > 0 {
		name = names[0]
	}
	cfg.Name = name
	return &Container{ID: id, Name: name, Config: cfg, Layer: layer, r: r}, nil
}

// Lookup finds a container by name, full id or unique id prefix.
func (r *Runtime) Lookup(nameOrID string) (*Container, error) {
	if nameOrID == "" {
		return nil, fmt.Errorf("empty container name: %w", ErrNoSuchContainer)
	}
	sc, err := r.store.Container(nameOrID)
	if err != nil {
		if errors.Is(err, cstorage.ErrContainerUnknown) {
			// podman's wording, which scripts match on.
			return nil, fmt.Errorf("no container with name or ID %q found: %w", nameOrID, ErrNoSuchContainer)
		}
		return nil, fmt.Errorf("looking up container %s: %w", nameOrID, err)
	}
	return r.fromStore(sc)
}

// List returns every container engine made.
func (r *Runtime) List() ([]*Container, error) {
	if r.store == nil {
		decoded := make([]*Container, len(r.records))
		forEachParallel(len(r.records), func(i int) {
			rec := &r.records[i]
			if meta, err := rec.Metadata(); err == nil && strings.Contains(meta, `"engine":1`) {
				decoded[i], _ = r.fromRecord(rec.ID, rec.Names, rec.LayerID, meta)
			}
		})
		out := make([]*Container, 0, len(decoded))
		for _, c := range decoded {
			if c != nil {
				out = append(out, c)
			}
		}
		return out, nil
	}
	all, err := r.store.Containers()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	out := make([]*Container, 0, len(all))
	for i := range all {
		if !strings.Contains(all[i].Metadata, `"engine":1`) {
			continue
		}
		if c, err := r.fromStore(&all[i]); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}
