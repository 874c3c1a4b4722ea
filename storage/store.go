package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/configfile"
)

// Options select the store and how registries are reached. Empty fields take the
// containers defaults (storage.conf, registries.conf, auth.json).
type Options struct {
	Root           string // graph root (--root)
	RunRoot        string // volatile run root (--runroot)
	Driver         string // storage driver (--storage-driver)
	RegistriesConf string // registries.conf path (--registries-conf)
}

// Store is an open containers/storage store plus the containers/image context used to
// reach registries and archives.
type Store struct {
	cstorage.Store
	sys *types.SystemContext
	tmp *tmpDir // this process's directory for big temporary files, made on first use
}

// Open opens (creating if needed) the store selected by opts.
func Open(opts Options) (*Store, error) {
	so, err := storeOptions(opts)
	if err != nil {
		return nil, err
	}
	s, err := cstorage.GetStore(so)
	if err != nil {
		return nil, fmt.Errorf("opening store at %s: %w", so.GraphRoot, err)
	}
	sys := &types.SystemContext{SystemRegistriesConfPath: opts.RegistriesConf}
	return &Store{Store: s, sys: sys}, nil
}

// Close releases the store and removes this process's temporary files; layers
// mounted by this process stay mounted.
func (s *Store) Close() {
	if s.tmp != nil {
		s.tmp.remove()
		s.tmp = nil
	}
	_, _ = s.Store.Shutdown(false)
}

// SystemContext returns a copy of the store's image context for one operation. Big
// temporary files go to a directory of this process inside the store (not /var/tmp),
// which the next engine process removes if this one is killed (see tmpdir.go).
func (s *Store) SystemContext() *types.SystemContext {
	c := *s.sys
	if s.tmp == nil {
		if dir, err := s.engineDir(); err == nil {
			s.tmp, _ = newTmpDir(filepath.Join(dir, "tmp"))
		}
	}
	if s.tmp != nil {
		c.BigFilesTemporaryDir = s.tmp.path
	}
	return &c
}

// engineDir is engine's own directory inside the graph root (lock files, records).
func (s *Store) engineDir() (string, error) {
	d := filepath.Join(s.GraphRoot(), "engine")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", d, err)
	}
	return d, nil
}

// policyContext returns the signature policy: policy.json when one exists, otherwise
// accept anything (a machine without containers-common has no policy file at all).
func policyContext(sys *types.SystemContext) (*signature.PolicyContext, error) {
	policy, err := signature.DefaultPolicy(sys)
	if err != nil {
		if !errors.Is(err, configfile.ErrConfigFileNotFound) {
			return nil, fmt.Errorf("reading signature policy: %w", err)
		}
		policy = &signature.Policy{Default: []signature.PolicyRequirement{signature.NewPRInsecureAcceptAnything()}}
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, fmt.Errorf("creating policy context: %w", err)
	}
	return pc, nil
}
