package builder

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// copyFlags are the options of COPY and ADD.
type copyFlags struct {
	from, chown, chmod, checksum, code string
	parents, unpack                    bool
	exclude                            []string
}

// copy runs COPY or ADD: sources from the context (or, with --from, from a
// stage or image) into a new layer.
func (b *build) copy(st *stageState, sd instructions.SourcesAndDest, f copyFlags) error {
	if f.parents || len(f.exclude) > 0 || f.checksum != "" || len(sd.SourceContents) > 0 {
		return fmt.Errorf("%s: --parents, --exclude, --checksum and here-documents are not supported: %w", f.code, ErrInvalidArg)
	}
	mode, err := parseChmod(f.chmod)
	if err != nil {
		return err
	}
	src := b.context
	if f.from != "" {
		s, release, err := b.fromSource(f.from)
		if err != nil {
			return err
		}
		defer release()
		src = s
	}
	var rels []string
	if f.unpack && len(sd.SourcePaths) == 1 && isURL(sd.SourcePaths[0]) {
		s, rel, cleanup, err := b.download(sd.SourcePaths[0])
		if err != nil {
			return err
		}
		defer cleanup()
		src, rels = s, []string{rel}
		if mode == nil {
			m := os.FileMode(0o600) // docker's mode for a downloaded file
			mode = &m
		}
	}
	for _, p := range sd.SourcePaths {
		if rels != nil {
			break
		}
		r, err := src.resolve(p)
		if err != nil {
			return err
		}
		rels = append(rels, r...)
	}
	sum, err := src.digest(rels)
	if err != nil {
		return err
	}
	dest := sd.DestPath
	if !path.IsAbs(dest) {
		dest = path.Join(workdir(st), dest)
	}
	destDir := strings.HasSuffix(sd.DestPath, "/") || len(rels) > 1 || strings.ContainsAny(strings.Join(sd.SourcePaths, ""), "*?[")
	what := "file"
	if len(rels) > 1 {
		what = "multi"
	}
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) %s %s:%s in %s", f.code, what, shortSum(sum), sd.DestPath)
	parts := []string{f.code, f.from, f.chown, f.chmod, sum, dest, fmt.Sprint(destDir)}
	return b.layerStep(st, createdBy, parts, func() (string, func(), error) {
		return b.scratchLayer(st, func(rootfs string) error {
			owner, err := parseChown(rootfs, f.chown)
			if err != nil {
				return err
			}
			job := &copyJob{src: src, rels: rels, dest: dest, owner: owner, chmod: mode, unpack: f.unpack,
				destDir: destDir || isDirIn(rootfs, dest)}
			return job.run(rootfs)
		})
	})
}

func shortSum(s string) string {
	if len(s) > 64 {
		return s[len(s)-64:]
	}
	return s
}

// fromSource mounts the image of a stage or an image named by COPY --from.
func (b *build) fromSource(from string) (*source, func(), error) {
	id := ""
	if j, ok := b.df.stageIndex(from); ok {
		id = b.results[j]
	}
	if id == "" {
		img, err := b.image(from)
		if err != nil {
			return nil, nil, fmt.Errorf("COPY --from=%s: %w", from, err)
		}
		id = img
	}
	root, err := b.s.MountImage(id, nil, "")
	if err != nil {
		return nil, nil, fmt.Errorf("mounting image %s: %w", id[:12], err)
	}
	release := func() { _, _ = b.s.UnmountImage(id, false) }
	return &source{root: root, fixed: id, what: "stage " + from}, release, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// download fetches an ADD source into a temporary directory of the store and
// returns it as a source holding one file named after the URL's path. Its
// content digest keys the cache, as docker's ADD of a URL.
func (b *build) download(rawURL string) (*source, string, func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", nil, fmt.Errorf("ADD %s: %v: %w", rawURL, err, ErrInvalidArg)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "download"
	}
	dir, err := os.MkdirTemp(b.s.SystemContext().BigFilesTemporaryDir, "add-")
	if err != nil {
		return nil, "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := fetch(b, rawURL, filepath.Join(dir, name)); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	return &source{root: dir, what: "download"}, name, cleanup, nil
}

func fetch(b *build, rawURL, dst string) error {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
