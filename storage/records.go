package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	jsoniter "github.com/json-iterator/go"
	cstorage "go.podman.io/storage"
)

// Paths locate a store's files, resolved from Options as Open resolves them.
type Paths struct {
	GraphRoot string
	RunRoot   string
	Driver    string // "" when the store picks its driver at open time
	Transient bool   // transient_store: volatile container records live in the run root
}

// ResolvePaths resolves opts (with storage.conf and the rootless defaults) without
// opening the store.
func ResolvePaths(opts Options) (Paths, error) {
	so, err := storeOptions(opts)
	if err != nil {
		return Paths{}, err
	}
	return Paths{GraphRoot: so.GraphRoot, RunRoot: so.RunRoot, Driver: so.GraphDriverName, Transient: so.TransientStore}, nil
}

// ContainerRecord is the part of a containers/storage container record that
// listing needs (the field names of its containers.json).
type ContainerRecord struct {
	ID      string   `json:"id"`
	Names   []string `json:"names,omitempty"`
	ImageID string   `json:"image"`
	LayerID string   `json:"layer"`
	// RawMetadata is the metadata as it stands in the file, a quoted JSON string:
	// Metadata unquotes it. Unquoting a thousand configs is most of the file's
	// decoding, so it is left to the callers, which do it on every core.
	RawMetadata jsoniter.RawMessage `json:"metadata,omitempty"`
	Created     time.Time           `json:"created"`
}

// Metadata is the record's metadata string.
func (r *ContainerRecord) Metadata() (string, error) {
	if len(r.RawMetadata) == 0 {
		return "", nil
	}
	var s string
	if err := jsoniter.ConfigCompatibleWithStandardLibrary.Unmarshal(r.RawMetadata, &s); err != nil {
		return "", fmt.Errorf("container %s: metadata: %w", r.ID, err)
	}
	return s, nil
}

// ReadContainerRecords reads the store's container records straight from its
// files, without opening the store: opening one loads every layer and image
// record and builds their indexes, which dominates `ps` with many containers.
// containers/storage replaces each file by an atomic rename, so every file read
// is a consistent snapshot. ok is false when the driver is not known (the store
// has not been opened with an explicit driver and the graph root holds records
// of several drivers or none): callers then open the store.
func ReadContainerRecords(p Paths) (recs []ContainerRecord, driver string, ok bool, err error) {
	driver = p.Driver
	if driver == "" {
		dirs, _ := filepath.Glob(filepath.Join(p.GraphRoot, "*-containers", "containers.json"))
		if len(dirs) != 1 {
			return nil, "", false, nil
		}
		driver = filepath.Base(filepath.Dir(dirs[0]))
		driver = driver[:len(driver)-len("-containers")]
	}
	sub := driver + "-containers"
	// As containers/storage's newContainerStore: volatile (--rm) records sit next
	// to the others, or in the run root with transient_store.
	volatileDir := filepath.Join(p.GraphRoot, sub)
	if p.Transient {
		volatileDir = filepath.Join(p.RunRoot, sub)
	}
	files := []string{filepath.Join(p.GraphRoot, sub, "containers.json"), filepath.Join(volatileDir, "volatile-containers.json")}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(data) == 0) {
			continue
		}
		if err != nil {
			return nil, "", false, fmt.Errorf("reading container records: %w", err)
		}
		var part []ContainerRecord
		if err := jsoniter.ConfigCompatibleWithStandardLibrary.Unmarshal(data, &part); err != nil {
			return nil, "", false, fmt.Errorf("reading container records %s: %w", f, err)
		}
		recs = append(recs, part...)
	}
	return recs, driver, true, nil
}

// storeOptions is the store configuration Open uses.
func storeOptions(opts Options) (cstorage.StoreOptions, error) {
	so, err := cstorage.DefaultStoreOptions()
	if err != nil {
		return so, fmt.Errorf("reading storage defaults: %w", err)
	}
	if opts.Root != "" {
		so.GraphRoot = opts.Root
	}
	if opts.RunRoot != "" {
		so.RunRoot = opts.RunRoot
	}
	if opts.Driver != "" {
		so.GraphDriverName = opts.Driver
		so.GraphDriverOptions = nil
	}
	return so, nil
}
