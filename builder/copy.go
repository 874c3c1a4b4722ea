package builder

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/idtools"
)

// copyJob is one COPY or ADD into a mounted root filesystem.
type copyJob struct {
	src     *source
	rels    []string // resolved sources, relative to src.root
	dest    string   // absolute destination in the image
	destDir bool     // dest names a directory to copy into
	owner   idtools.IDPair
	chmod   *os.FileMode // --chmod: the mode of every copied file and directory
	unpack  bool         // ADD: local tar archives are extracted
}

// run copies into rootfs. Sources are archived from their root (the archiver
// walks it through an os.Root, so a symlink in the context is copied as a
// symlink and never followed out) and extracted by chrootarchive inside the
// destination directory, resolved within rootfs first.
func (j *copyJob) run(rootfs string) error {
	for _, rel := range j.rels {
		if err := j.one(rootfs, rel); err != nil {
			return err
		}
	}
	return nil
}

func (j *copyJob) one(rootfs, rel string) error {
	fi, err := os.Lstat(filepath.Join(j.src.root, rel))
	if err != nil {
		return err
	}
	if j.unpack && fi.Mode().IsRegular() && archive.IsArchivePath(filepath.Join(j.src.root, rel)) {
		return j.extract(rootfs, rel)
	}
	if fi.IsDir() {
		dir, err := mkdirIn(rootfs, j.dest)
		if err != nil {
			return err
		}
		rebase := map[string]string{}
		if rel != "." {
			rebase[rel] = "."
		}
		if err := j.untar(dir, rel, rebase); err != nil {
			return err
		}
		return j.applyChmod(rel, dir)
	}
	target := j.dest
	if j.destDir {
		target = path.Join(j.dest, filepath.Base(rel))
	}
	dir, err := mkdirIn(rootfs, path.Dir(target))
	if err != nil {
		return err
	}
	if err := j.untar(dir, rel, map[string]string{rel: path.Base(target)}); err != nil {
		return err
	}
	return j.applyChmod("", filepath.Join(dir, path.Base(target)))
}

// applyChmod sets --chmod's mode on what a copy wrote: the file at dst, or
// (rel is a source directory) every entry of rel copied under dst. Symlinks
// keep theirs; paths are those the copy just made inside dst, which was
// resolved within the root.
func (j *copyJob) applyChmod(rel, dst string) error {
	if j.chmod == nil {
		return nil
	}
	if rel == "" {
		return chmodNoFollow(dst, *j.chmod)
	}
	return filepath.WalkDir(filepath.Join(j.src.root, rel), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(filepath.Join(j.src.root, rel), p)
		full, _ := filepath.Rel(j.src.root, p)
		if r != "." && j.src.excluded(full) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return chmodNoFollow(filepath.Join(dst, r), *j.chmod)
	})
}

func chmodNoFollow(p string, mode os.FileMode) error {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 {
		return nil
	}
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("--chmod: %w", err)
	}
	return nil
}

// parseChmod reads --chmod's octal mode.
func parseChmod(s string) (*os.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return nil, fmt.Errorf("--chmod=%s: want an octal mode: %w", s, ErrInvalidArg)
	}
	m := os.FileMode(v&0o777) | modeBits(v)
	return &m, nil
}

// modeBits maps the setuid, setgid and sticky bits of an octal mode.
func modeBits(v uint64) os.FileMode {
	var m os.FileMode
	if v&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

func (j *copyJob) untar(dir, rel string, rebase map[string]string) error {
	owner := j.owner
	rc, err := archive.TarWithOptions(j.src.root, &archive.TarOptions{
		IncludeFiles: []string{rel}, ExcludePatterns: j.src.excludes, RebaseNames: rebase, ChownOpts: &owner,
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	defer rc.Close()
	if err := chrootarchive.Untar(rc, dir, &archive.TarOptions{}); err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	return nil
}

// extract unpacks a local (possibly compressed) tar archive into the destination
// directory, as ADD does.
func (j *copyJob) extract(rootfs, rel string) error {
	dir, err := mkdirIn(rootfs, j.dest)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(j.src.root, rel))
	if err != nil {
		return err
	}
	defer f.Close()
	owner := j.owner
	if err := chrootarchive.Untar(f, dir, &archive.TarOptions{ChownOpts: &owner}); err != nil {
		return fmt.Errorf("extracting %s: %w", rel, err)
	}
	return nil
}

// mkdirIn makes dir (an absolute path in the image) inside rootfs, symlinks
// resolved within rootfs, and returns its host path.
func mkdirIn(rootfs, dir string) (string, error) {
	p, err := securejoin.SecureJoin(rootfs, dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return p, nil
}

// isDirIn tells whether an absolute image path is a directory in rootfs.
func isDirIn(rootfs, p string) bool {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return false
	}
	fi, err := os.Stat(full)
	return err == nil && fi.IsDir()
}

// parseChown resolves --chown=user[:group] against the image's passwd and group
// files; a numeric user without a group gets the same number as group.
func parseChown(rootfs, spec string) (idtools.IDPair, error) {
	if spec == "" {
		return idtools.IDPair{}, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	if uid, err := strconv.Atoi(u); err == nil && !hasGroup {
		return idtools.IDPair{UID: uid, GID: uid}, nil
	}
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return idtools.IDPair{}, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return idtools.IDPair{}, err
	}
	if !hasGroup {
		g = ""
	}
	eu, err := user.GetExecUserPath(strings.TrimSuffix(u+":"+g, ":"), &user.ExecUser{}, passwd, group)
	if err != nil {
		return idtools.IDPair{}, fmt.Errorf("--chown=%s: %v: %w", spec, err, ErrInvalidArg)
	}
	return idtools.IDPair{UID: eu.Uid, GID: eu.Gid}, nil
}
