package testutil

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// verifyBlob checks that the blob named by desc exists with desc's size and digest.
func verifyBlob(t *testing.T, dir string, desc ocispec.Descriptor) {
	t.Helper()
	data, err := os.ReadFile(blobPath(dir, desc.Digest))
	if err != nil {
		t.Fatalf("blob %s: %v", desc.Digest, err)
	}
	if got := digest.FromBytes(data); got != desc.Digest {
		t.Errorf("blob %s: content digest %s", desc.Digest, got)
	}
	if int64(len(data)) != desc.Size {
		t.Errorf("blob %s: size %d, descriptor says %d", desc.Digest, len(data), desc.Size)
	}
}

// layerContent decompresses a layer blob, returning its diff_id and entries.
func layerContent(t *testing.T, dir string, d digest.Digest) (digest.Digest, map[string]*tar.Header) {
	t.Helper()
	f, err := os.Open(blobPath(dir, d))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("layer %s: %v", d, err)
	}
	digester := digest.Canonical.Digester()
	tr := tar.NewReader(io.TeeReader(gz, digester.Hash()))
	entries := map[string]*tar.Header{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("layer %s: %v", d, err)
		}
		entries[hdr.Name] = hdr
	}
	if _, err := io.Copy(io.Discard, gz); err != nil { // the tar's trailing padding
		t.Fatal(err)
	}
	return digester.Digest(), entries
}

func TestBusyboxImageLayout(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("needs %s: %v", BusyboxPath, err)
	}
	tests := []struct {
		name       string
		opts       ImageOptions
		wantLayers int
		wantTag    string
	}{
		{"default", ImageOptions{}, 1, "latest"},
		{"labels and tag", ImageOptions{Labels: map[string]string{"a": "b"}, Tag: "v1"}, 1, "v1"},
		{"extra layers", ImageOptions{ExtraLayers: 2, ExtraLayerBytes: 64 << 10, Seed: 7}, 3, "latest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "layout")
			img, err := WriteBusyboxImage(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var layout ocispec.ImageLayout
			readJSON(t, filepath.Join(dir, ocispec.ImageLayoutFile), &layout)
			if layout.Version != ocispec.ImageLayoutVersion {
				t.Errorf("oci-layout version %q, want %q", layout.Version, ocispec.ImageLayoutVersion)
			}
			var index ocispec.Index
			readJSON(t, filepath.Join(dir, "index.json"), &index)
			if len(index.Manifests) != 1 {
				t.Fatalf("index has %d manifests, want 1", len(index.Manifests))
			}
			mdesc := index.Manifests[0]
			if got := mdesc.Annotations[ocispec.AnnotationRefName]; got != tc.wantTag {
				t.Errorf("ref.name = %q, want %q", got, tc.wantTag)
			}
			if mdesc.Digest != img.ManifestDigest {
				t.Errorf("index manifest %s, Image says %s", mdesc.Digest, img.ManifestDigest)
			}
			verifyBlob(t, dir, mdesc)
			var manifest ocispec.Manifest
			readJSON(t, blobPath(dir, mdesc.Digest), &manifest)
			if manifest.MediaType != ocispec.MediaTypeImageManifest || manifest.SchemaVersion != 2 {
				t.Errorf("manifest mediaType %q schemaVersion %d", manifest.MediaType, manifest.SchemaVersion)
			}
			verifyBlob(t, dir, manifest.Config)
			if manifest.Config.Digest.Encoded() != img.ID {
				t.Errorf("config digest %s, Image.ID %s", manifest.Config.Digest, img.ID)
			}
			var config ocispec.Image
			readJSON(t, blobPath(dir, manifest.Config.Digest), &config)
			if len(manifest.Layers) != tc.wantLayers {
				t.Fatalf("%d layers, want %d", len(manifest.Layers), tc.wantLayers)
			}
			if len(config.RootFS.DiffIDs) != tc.wantLayers || len(config.History) != tc.wantLayers {
				t.Fatalf("config: %d diff_ids, %d history entries, want %d of each",
					len(config.RootFS.DiffIDs), len(config.History), tc.wantLayers)
			}
			for i, l := range manifest.Layers {
				verifyBlob(t, dir, l)
				if l.MediaType != ocispec.MediaTypeImageLayerGzip {
					t.Errorf("layer %d media type %q", i, l.MediaType)
				}
				diffID, entries := layerContent(t, dir, l.Digest)
				if diffID != config.RootFS.DiffIDs[i] {
					t.Errorf("layer %d: uncompressed digest %s, config diff_id %s", i, diffID, config.RootFS.DiffIDs[i])
				}
				if i == 0 {
					for _, name := range []string{"bin/busybox", "bin/sh", "bin/[", "etc/passwd", "etc/group", "tmp/"} {
						if entries[name] == nil {
							t.Errorf("base layer lacks %s", name)
						}
					}
					if h := entries["tmp/"]; h != nil && h.Mode&0o1777 != 0o1777 {
						t.Errorf("tmp mode %o, want 1777", h.Mode)
					}
				} else if tc.opts.ExtraLayerBytes > 0 {
					if l.Size < tc.opts.ExtraLayerBytes {
						t.Errorf("extra layer %d compressed to %d bytes from %d: data is not incompressible", i, l.Size, tc.opts.ExtraLayerBytes)
					}
				}
				if config.History[i].CreatedBy == "" || config.History[i].EmptyLayer {
					t.Errorf("history[%d] = %+v", i, config.History[i])
				}
			}
			if !reflect.DeepEqual(config.Config.Cmd, []string{"sh"}) {
				t.Errorf("Cmd %q, want [sh]", config.Config.Cmd)
			}
			if !reflect.DeepEqual(config.Config.Env, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}) {
				t.Errorf("Env %q", config.Config.Env)
			}
			if config.Architecture != "amd64" || config.OS != "linux" {
				t.Errorf("platform %s/%s", config.OS, config.Architecture)
			}
			if !reflect.DeepEqual(config.Config.Labels, tc.opts.Labels) {
				t.Errorf("labels %v, want %v", config.Config.Labels, tc.opts.Labels)
			}
		})
	}
}

func TestBusyboxImageDeterministic(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("needs %s: %v", BusyboxPath, err)
	}
	opts := ImageOptions{ExtraLayers: 1, ExtraLayerBytes: 4096, Seed: 1}
	a, err := WriteBusyboxImage(filepath.Join(t.TempDir(), "a"), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WriteBusyboxImage(filepath.Join(t.TempDir(), "b"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.ManifestDigest != b.ManifestDigest || a.ID != b.ID {
		t.Errorf("same options, different images: %s/%s vs %s/%s", a.ManifestDigest, a.ID, b.ManifestDigest, b.ID)
	}
	opts.Seed = 2
	c, err := WriteBusyboxImage(filepath.Join(t.TempDir(), "c"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == a.ID || c.Layers[1] == a.Layers[1] {
		t.Errorf("different seeds gave the same extra layer %s", c.Layers[1])
	}
	if c.Layers[0] != a.Layers[0] {
		t.Errorf("base layer depends on the seed: %s vs %s", c.Layers[0], a.Layers[0])
	}
}

func TestBusyboxImageSecondTag(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("needs %s: %v", BusyboxPath, err)
	}
	dir := t.TempDir()
	if _, err := WriteBusyboxImage(dir, ImageOptions{Tag: "one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteBusyboxImage(dir, ImageOptions{Tag: "two", Labels: map[string]string{"x": "y"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteBusyboxImage(dir, ImageOptions{Tag: "one"}); err != nil { // replaces
		t.Fatal(err)
	}
	var index ocispec.Index
	readJSON(t, filepath.Join(dir, "index.json"), &index)
	var tags []string
	for _, m := range index.Manifests {
		tags = append(tags, m.Annotations[ocispec.AnnotationRefName])
	}
	if !reflect.DeepEqual(tags, []string{"two", "one"}) {
		t.Errorf("tags %q, want [two one]", tags)
	}
}

func TestTarball(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.tar")
	entries := []TarEntry{
		{Name: "../escape", Data: []byte("x")},
		{Name: "/abs", Data: []byte("y")},
		{Name: "link", Type: tar.TypeSymlink, Linkname: "/etc/passwd"},
		{Name: "d/", Type: tar.TypeDir},
	}
	if err := Tarball(path, entries); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for i, want := range entries {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if hdr.Name != want.Name || hdr.Linkname != want.Linkname {
			t.Errorf("entry %d = %q -> %q, want %q -> %q", i, hdr.Name, hdr.Linkname, want.Name, want.Linkname)
		}
	}
}

func TestWriteDockerArchive(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("needs %s: %v", BusyboxPath, err)
	}
	img, err := WriteBusyboxImage(filepath.Join(t.TempDir(), "layout"), ImageOptions{ExtraLayers: 1, ExtraLayerBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "archive.tar")
	if err := WriteDockerArchive(img, path, []string{"localhost/x:1"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	got := map[string]digest.Digest{}
	var manifest []dockerManifestEntry
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && hdr.Name != "manifest.json" {
			t.Errorf("first entry %q, want manifest.json", hdr.Name)
		}
		if hdr.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
			continue
		}
		d, err := digest.Canonical.FromReader(tr)
		if err != nil {
			t.Fatal(err)
		}
		got[hdr.Name] = d
	}
	want := []dockerManifestEntry{{Config: img.ID + ".json", RepoTags: []string{"localhost/x:1"},
		Layers: []string{img.DiffIDs[0].Encoded() + ".tar", img.DiffIDs[1].Encoded() + ".tar"}}}
	if !reflect.DeepEqual(manifest, want) {
		t.Errorf("manifest.json = %+v, want %+v", manifest, want)
	}
	if got[img.ID+".json"].Encoded() != img.ID {
		t.Errorf("config entry digest %s, want %s", got[img.ID+".json"], img.ID)
	}
	for _, d := range img.DiffIDs {
		if got[d.Encoded()+".tar"] != d {
			t.Errorf("layer %s.tar has digest %s", d.Encoded(), got[d.Encoded()+".tar"])
		}
	}
}
