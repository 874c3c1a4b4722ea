package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Volumes live where podman keeps them, GRAPHROOT/volumes/NAME/_data, with engine's
// record next to the data in NAME/volume.json (podman keeps its records in its
// database, so the two never read each other's volumes). A volume appears by an
// atomic rename of a complete directory and goes by a rename to a hidden name
// before its data is deleted, so a crash never leaves half a volume visible.
const (
	volumesDir     = "volumes"
	volumeDataDir  = "_data"
	volumeRecord   = "volume.json"
	volumesLock    = ".engine.lock" // no volume name starts with a dot
	volumeTmpStart = ".tmp-"
	volumeRmStart  = ".rm-"
)

var (
	// ErrNoSuchVolume: no volume has that name.
	ErrNoSuchVolume = errors.New("no such volume")
	// ErrVolumeExists: a volume with that name exists already.
	ErrVolumeExists = errors.New("volume already exists")
	// ErrVolumeInUse: a container uses the volume.
	ErrVolumeInUse = errors.New("volume is being used")
)

var volumeNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidVolumeName checks a volume name as podman does.
func ValidVolumeName(name string) error {
	if !volumeNameRe.MatchString(name) {
		return fmt.Errorf("invalid volume name %q: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", name, ErrInvalidArg)
	}
	return nil
}

// newVolumeName is the name of an anonymous volume: 64 random hex digits, as podman.
func newVolumeName() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err)) // never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// Volume is a volume's record, with podman's inspect field names.
type Volume struct {
	Name        string            `json:"Name"`
	Driver      string            `json:"Driver"`
	Mountpoint  string            `json:"Mountpoint"`
	CreatedAt   time.Time         `json:"CreatedAt"`
	Labels      map[string]string `json:"Labels"`
	Scope       string            `json:"Scope"`
	Options     map[string]string `json:"Options"`
	UID         int               `json:"UID,omitempty"`
	GID         int               `json:"GID,omitempty"`
	MountCount  uint              `json:"MountCount"`
	NeedsCopyUp bool              `json:"NeedsCopyUp,omitempty"`
	NeedsChown  bool              `json:"NeedsChown,omitempty"`
	Anonymous   bool              `json:"Anonymous,omitempty"`
}

// volumeStore is the volumes directory of one store.
type volumeStore struct{ dir string }

func (r *Runtime) volumes() volumeStore {
	return volumeStore{dir: filepath.Join(r.store.GraphRoot(), volumesDir)}
}

// lock serialises changes to volumes (create, remove, the first-use copy) among
// engine processes; the kernel drops a dead holder's flock.
func (s volumeStore) lock() (func(), error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", s.dir, err)
	}
	unlock, err := flockPath(filepath.Join(s.dir, volumesLock))
	if err != nil {
		return nil, fmt.Errorf("volumes: %w", err)
	}
	return unlock, nil
}

// get reads the record of the volume called name.
func (s volumeStore) get(name string) (*Volume, error) {
	if ValidVolumeName(name) != nil {
		return nil, fmt.Errorf("no volume with name %q found: %w", name, ErrNoSuchVolume)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, name, volumeRecord))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no volume with name %q found: %w", name, ErrNoSuchVolume)
	}
	if err != nil {
		return nil, fmt.Errorf("reading volume %s: %w", name, err)
	}
	var v Volume
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("volume %s: bad record: %w", name, err)
	}
	v.Name, v.Mountpoint = name, filepath.Join(s.dir, name, volumeDataDir)
	return &v, nil
}

// list reads every engine volume, sorted by name (podman's order).
func (s volumeStore) list() ([]*Volume, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var out []*Volume
	for _, e := range ents {
		if !e.IsDir() || ValidVolumeName(e.Name()) != nil {
			continue
		}
		v, err := s.get(e.Name())
		if errors.Is(err, ErrNoSuchVolume) {
			continue // podman's volume, or one being removed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// create makes the volume v.Name; the caller holds the lock. The directory is
// built under a hidden name and renamed into place, whole.
func (s volumeStore) create(v *Volume) error {
	final := filepath.Join(s.dir, v.Name)
	if _, err := os.Lstat(final); err == nil {
		if _, err := s.get(v.Name); err == nil {
			return fmt.Errorf("volume with name %s already exists: %w", v.Name, ErrVolumeExists)
		}
		return fmt.Errorf("volume %s: %s exists but is not an engine volume: %w", v.Name, final, ErrVolumeExists)
	}
	tmp, err := os.MkdirTemp(s.dir, volumeTmpStart+v.Name+"-")
	if err != nil {
		return fmt.Errorf("creating volume %s: %w", v.Name, err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	// The volume directory keeps other users out; _data is what the container sees.
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(tmp, volumeDataDir), 0o755); err != nil {
		return fmt.Errorf("creating volume %s: %w", v.Name, err)
	}
	if v.UID != 0 || v.GID != 0 {
		if err := os.Lchown(filepath.Join(tmp, volumeDataDir), v.UID, v.GID); err != nil {
			return fmt.Errorf("creating volume %s: %w", v.Name, err)
		}
	}
	if err := s.writeRecord(tmp, v); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("creating volume %s: %w", v.Name, err)
	}
	v.Mountpoint = filepath.Join(final, volumeDataDir)
	return nil
}

// writeRecord writes v's record into dir atomically.
func (s volumeStore) writeRecord(dir string, v *Volume) error {
	rec := *v
	rec.Mountpoint = "" // derived from where the directory is
	b, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("encoding volume %s: %w", v.Name, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, volumeRecord), b, 0o600); err != nil {
		return fmt.Errorf("writing volume %s: %w", v.Name, err)
	}
	return nil
}

// update rewrites the record of an existing volume; the caller holds the lock.
func (s volumeStore) update(v *Volume) error {
	return s.writeRecord(filepath.Join(s.dir, v.Name), v)
}

// remove deletes the volume and its data; the caller holds the lock. The rename
// first makes it vanish at once; the data follows.
func (s volumeStore) remove(name string) error {
	hidden := filepath.Join(s.dir, volumeRmStart+name+"-"+newVolumeName()[:12])
	if err := os.Rename(filepath.Join(s.dir, name), hidden); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	if err := os.RemoveAll(hidden); err != nil {
		return fmt.Errorf("removing data of volume %s: %w", name, err)
	}
	return nil
}

// sweep removes what a killed create or remove left (hidden directories); the
// caller holds the lock, so none of them is in use.
func (s volumeStore) sweep() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, volumeTmpStart) || strings.HasPrefix(n, volumeRmStart) {
			_ = os.RemoveAll(filepath.Join(s.dir, n))
		}
	}
}
