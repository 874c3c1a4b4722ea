package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher/ignorefile"
	"go.podman.io/storage/pkg/fileutils"
)

// source is a tree COPY and ADD read from: the build context (with its
// .dockerignore) or, for COPY --from, the mounted root of an image.
type source struct {
	root     string
	excludes []string
	pm       *fileutils.PatternMatcher
	fixed    string // content digest prefix of an immutable tree (an image id); "" for the context
	what     string // for errors: "build context" or "stage NAME"
}

// contextSource opens the build context and reads its .dockerignore.
func contextSource(dir string) (*source, error) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("context must be a directory: %q: %w", dir, ErrInvalidArg)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &source{root: abs, what: "build context"}
	for _, n := range []string{".containerignore", ".dockerignore"} {
		f, err := os.Open(filepath.Join(abs, n))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		break
	}
	if s.pm, err = fileutils.NewPatternMatcher(s.excludes); err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %v: %w", err, ErrInvalidArg)
	}
	return s, nil
}

// resolve turns a COPY/ADD source (a path or a glob, relative to the source's
// root) into paths relative to the root. A path that leaves the root is an
// error, as are missing and excluded sources.
func (s *source) resolve(src string) ([]string, error) {
	if strings.Contains(src, "://") {
		return nil, fmt.Errorf("%s: remote sources are not supported: %w", src, ErrInvalidArg)
	}
	p := filepath.Clean(strings.TrimPrefix(filepath.Clean("/"+src), "/"))
	if c := filepath.Clean(src); c == ".." || strings.HasPrefix(c, "../") || strings.Contains(c, "/../") {
		return nil, fmt.Errorf("%s: forbidden path outside the %s: %w", src, s.what, ErrInvalidArg)
	}
	if p == "" {
		p = "."
	}
	if strings.ContainsAny(p, "*?[") {
		return s.glob(src, p)
	}
	full, err := securejoin.SecureJoin(s.root, p)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(full); err != nil {
		return nil, fmt.Errorf("%s: no such file or directory in the %s: %w", src, s.what, ErrInvalidArg)
	}
	rel, err := filepath.Rel(s.root, full)
	if err != nil {
		return nil, err
	}
	if rel != "." && s.excluded(rel) {
		return nil, fmt.Errorf("%s: excluded by .dockerignore: %w", src, ErrInvalidArg)
	}
	return []string{rel}, nil
}

func (s *source) glob(src, p string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(s.root, p))
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", src, err, ErrInvalidArg)
	}
	var out []string
	for _, m := range matches {
		rel, err := filepath.Rel(s.root, m)
		if err != nil || strings.HasPrefix(rel, "..") || s.excluded(rel) {
			continue
		}
		out = append(out, rel)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no files match in the %s: %w", src, s.what, ErrInvalidArg)
	}
	return out, nil
}

func (s *source) excluded(rel string) bool {
	if s.pm == nil {
		return false
	}
	m, err := s.pm.IsMatch(rel)
	return err == nil && m
}

// digest hashes the names, modes, link targets and contents (not the times) of
// the files under rels that a copy takes, for the cache key.
func (s *source) digest(rels []string) (string, error) {
	if s.fixed != "" {
		return s.fixed + ":" + strings.Join(rels, ","), nil
	}
	h := sha256.New()
	sorted := append([]string(nil), rels...)
	sort.Strings(sorted)
	for _, rel := range sorted {
		err := filepath.WalkDir(filepath.Join(s.root, rel), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			r, _ := filepath.Rel(s.root, path)
			if r != rel && s.excluded(r) {
				if d.IsDir() && !s.pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
			return hashEntry(h, path, r, d)
		})
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", rel, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashEntry(h io.Writer, path, rel string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%o\x00", rel, fi.Mode())
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00", target)
	case fi.Mode().IsRegular():
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
	}
	return nil
}
