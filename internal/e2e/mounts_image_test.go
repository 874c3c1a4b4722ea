package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/engine-dev/engine/internal/testutil"
)

// layerEntry is one entry of the extra layer mountImage adds.
type layerEntry struct {
	name, link, data string
	typ              byte
	mode             int64
	uid, gid         int
}

// mountImage writes a busybox layout with one more layer (entries) and the given
// VOLUME entries in its config, pulls it into e and returns its name.
func mountImage(t *testing.T, e *testutil.Engine, entries []layerEntry, volumes ...string) string {
	t.Helper()
	img := busybox(t, testutil.ImageOptions{})
	layer := tarOf(t, entries)
	diffID := digest.FromBytes(layer)
	writeBlob(t, img.Dir, layer)
	cfg := img.Config
	cfg.RootFS.DiffIDs = append(append([]digest.Digest{}, cfg.RootFS.DiffIDs...), diffID)
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.History = append(append([]ocispec.History{}, cfg.History...), ocispec.History{Created: &created, CreatedBy: "mounts test layer"})
	cfg.Config.Volumes = map[string]struct{}{}
	for _, v := range volumes {
		cfg.Config.Volumes[v] = struct{}{}
	}
	cfgBytes := mustJSON(t, cfg)
	writeBlob(t, img.Dir, cfgBytes)

	var index ocispec.Index
	readJSON(t, filepath.Join(img.Dir, "index.json"), &index)
	mdesc := index.Manifests[0]
	var manifest ocispec.Manifest
	readJSON(t, filepath.Join(img.Dir, "blobs", "sha256", mdesc.Digest.Encoded()), &manifest)
	manifest.Config = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfgBytes), Size: int64(len(cfgBytes))}
	manifest.Layers = append(manifest.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffID, Size: int64(len(layer))})
	mBytes := mustJSON(t, manifest)
	writeBlob(t, img.Dir, mBytes)
	mdesc.Digest, mdesc.Size = digest.FromBytes(mBytes), int64(len(mBytes))
	index.Manifests = []ocispec.Descriptor{mdesc}
	if err := os.WriteFile(filepath.Join(img.Dir, "index.json"), mustJSON(t, index), 0o644); err != nil {
		t.Fatal(err)
	}
	return pull(t, e, img)
}

func tarOf(t *testing.T, entries []layerEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, en := range entries {
		h := &tar.Header{Name: en.name, Linkname: en.link, Typeflag: en.typ, Mode: en.mode, Uid: en.uid, Gid: en.gid,
			Size: int64(len(en.data)), ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(en.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeBlob(t *testing.T, dir string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, "blobs", "sha256", digest.FromBytes(data).Encoded())
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
