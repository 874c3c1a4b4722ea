package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// BusyboxApplets are the applets linked to busybox in the base layer's /bin.
var BusyboxApplets = []string{
	"sh", "true", "false", "echo", "cat", "sleep", "ls", "env", "id", "ps", "top", "wget",
	"httpd", "nc", "hostname", "mkdir", "rm", "touch", "test", "[", "printf", "head", "tail",
	"wc", "grep", "kill", "date", "uname", "stat", "find", "chmod", "chown", "ln", "cp", "mv",
	"pwd", "sync", "yes", "seq", "tee", "tr", "sort", "dd", "mount", "umount", "ip", "ping",
	"nslookup", "sed", "awk", "init", "su", "whoami",
}

// imageEpoch is the fixed timestamp of every file, history entry and config, so that
// the same options always give the same digests.
var imageEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ImageOptions selects what BusyboxImage writes on top of the busybox base layer.
type ImageOptions struct {
	// ExtraLayers adds this many layers, each holding one file of ExtraLayerBytes
	// bytes of seeded pseudo-random (incompressible, deterministic) data.
	ExtraLayers     int
	ExtraLayerBytes int64
	// Seed varies the extra layers' data between images; images written with the same
	// options and seed are byte-identical.
	Seed uint64
	// Labels are written to the image config's Labels.
	Labels map[string]string
	// Cmd overrides the default ["sh"].
	Cmd []string
	// Tag is the org.opencontainers.image.ref.name annotation in index.json;
	// "latest" when empty.
	Tag string
}

// Image describes an image written by WriteBusyboxImage.
type Image struct {
	Dir            string          // the OCI layout directory
	Tag            string          // its ref.name annotation
	Ref            string          // "oci:DIR:TAG", a containers/image reference
	ID             string          // config digest, hex: the image ID stores report
	ManifestDigest digest.Digest   // digest of the manifest
	Layers         []digest.Digest // compressed layer blob digests
	DiffIDs        []digest.Digest // uncompressed layer digests (config rootfs.diff_ids)
	Config         ocispec.Image
}

// BusyboxImage writes an OCI image layout built from /bin/busybox into dir (a new
// directory under a world-readable temporary directory when dir is "") and returns
// the layout directory. Files are world-readable so the rootless user can pull it,
// provided dir's parents can be traversed (see SharedDir). Use WriteBusyboxImage for
// the digests.
func BusyboxImage(t testing.TB, dir string, opts ImageOptions) string {
	t.Helper()
	return BusyboxImageInfo(t, dir, opts).Dir
}

// BusyboxImageInfo is BusyboxImage returning the image's description.
func BusyboxImageInfo(t testing.TB, dir string, opts ImageOptions) *Image {
	t.Helper()
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("busybox image needs Debian's busybox-static (%s): %v", BusyboxPath, err)
	}
	if dir == "" {
		dir = filepath.Join(SharedDir(t), "busybox")
	}
	img, err := WriteBusyboxImage(dir, opts)
	if err != nil {
		t.Fatalf("writing busybox image: %v", err)
	}
	return img
}

// WriteBusyboxImage writes (or adds a tag to) an OCI image layout in dir. A layout
// already in dir keeps its other tags; an entry with the same tag is replaced.
func WriteBusyboxImage(dir string, opts ImageOptions) (*Image, error) {
	if opts.Tag == "" {
		opts.Tag = "latest"
	}
	cmd := opts.Cmd
	if cmd == nil {
		cmd = []string{"sh"}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, err
	}
	img := &Image{Dir: dir, Tag: opts.Tag, Ref: "oci:" + dir + ":" + opts.Tag}
	var layerDescs []ocispec.Descriptor
	var history []ocispec.History

	add := func(createdBy string, level int, fill func(*tar.Writer) error) error {
		desc, diffID, err := writeLayer(dir, level, fill)
		if err != nil {
			return err
		}
		layerDescs = append(layerDescs, desc)
		img.Layers = append(img.Layers, desc.Digest)
		img.DiffIDs = append(img.DiffIDs, diffID)
		created := imageEpoch
		history = append(history, ocispec.History{Created: &created, CreatedBy: createdBy})
		return nil
	}
	if err := add("/bin/sh -c #(nop) ADD busybox rootfs (bin/busybox, applets, etc/passwd, etc/group, tmp) in /",
		gzip.DefaultCompression, busyboxBase); err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	for i := 0; i < opts.ExtraLayers; i++ {
		name := fmt.Sprintf("data/layer%d.bin", i+1)
		fill := randomFile(name, opts.ExtraLayerBytes, opts.Seed, uint64(i+1))
		// BestSpeed: the data is incompressible anyway, and a 100 MB image must be quick.
		if err := add(fmt.Sprintf("/bin/sh -c #(nop) COPY %s /%s", filepath.Base(name), name),
			gzip.BestSpeed, fill); err != nil {
			return nil, fmt.Errorf("extra layer %d: %w", i+1, err)
		}
	}

	created := imageEpoch
	img.Config = ocispec.Image{
		Created:  &created,
		Author:   "engine testutil",
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Config: ocispec.ImageConfig{
			Env:    []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd:    cmd,
			Labels: opts.Labels,
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: img.DiffIDs},
		History: history,
	}
	configDesc, err := writeJSONBlob(dir, ocispec.MediaTypeImageConfig, img.Config)
	if err != nil {
		return nil, err
	}
	img.ID = configDesc.Digest.Encoded()
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    layerDescs,
	}
	manifestDesc, err := writeJSONBlob(dir, ocispec.MediaTypeImageManifest, manifest)
	if err != nil {
		return nil, err
	}
	img.ManifestDigest = manifestDesc.Digest
	manifestDesc.Annotations = map[string]string{ocispec.AnnotationRefName: opts.Tag}
	manifestDesc.Platform = &ocispec.Platform{Architecture: "amd64", OS: "linux"}
	if err := writeIndex(dir, manifestDesc); err != nil {
		return nil, err
	}
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err := os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), layout, 0o644); err != nil {
		return nil, err
	}
	return img, nil
}

// writeIndex adds desc to dir/index.json, replacing an entry with the same tag.
func writeIndex(dir string, desc ocispec.Descriptor) error {
	path := filepath.Join(dir, "index.json")
	index := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &index); err != nil {
			return fmt.Errorf("existing %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tag := desc.Annotations[ocispec.AnnotationRefName]
	kept := index.Manifests[:0]
	for _, m := range index.Manifests {
		if m.Annotations[ocispec.AnnotationRefName] != tag {
			kept = append(kept, m)
		}
	}
	index.Manifests = append(kept, desc)
	data, err := json.Marshal(index)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

func writeJSONBlob(dir, mediaType string, v any) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d := digest.FromBytes(data)
	if err := writeFileAtomic(blobPath(dir, d), data); err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}, nil
}

func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeLayer streams a tar written by fill through a diff_id hasher and gzip into a
// blob, so that large layers never sit in memory.
func writeLayer(dir string, level int, fill func(*tar.Writer) error) (ocispec.Descriptor, digest.Digest, error) {
	f, err := os.CreateTemp(filepath.Join(dir, "blobs", "sha256"), ".layer-*")
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	defer f.Close()
	compressed := digest.Canonical.Digester()
	counter := &countWriter{}
	gz, err := gzip.NewWriterLevel(io.MultiWriter(f, compressed.Hash(), counter), level)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	uncompressed := digest.Canonical.Digester()
	tw := tar.NewWriter(io.MultiWriter(gz, uncompressed.Hash()))
	if err := fill(tw); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	if err := tw.Close(); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	if err := gz.Close(); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	if err := f.Chmod(0o644); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	if err := f.Close(); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	d := compressed.Digest()
	if err := os.Rename(f.Name(), blobPath(dir, d)); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: counter.n}
	return desc, uncompressed.Digest(), nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// busyboxBase writes the base layer: a minimal root filesystem around busybox.
func busyboxBase(tw *tar.Writer) error {
	bb, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return err
	}
	dirs := []struct {
		name     string
		mode     int64
		uid, gid int
	}{
		{"bin/", 0o755, 0, 0}, {"dev/", 0o755, 0, 0}, {"etc/", 0o755, 0, 0},
		{"home/", 0o755, 0, 0}, {"home/app/", 0o755, 1000, 1000}, {"proc/", 0o555, 0, 0},
		{"root/", 0o700, 0, 0}, {"run/", 0o755, 0, 0}, {"sys/", 0o555, 0, 0},
		{"tmp/", 0o1777, 0, 0}, {"usr/", 0o755, 0, 0}, {"usr/bin/", 0o755, 0, 0},
		{"usr/sbin/", 0o755, 0, 0}, {"sbin/", 0o755, 0, 0}, {"var/", 0o755, 0, 0},
		{"var/tmp/", 0o1777, 0, 0},
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode,
			Uid: d.uid, Gid: d.gid, ModTime: imageEpoch}); err != nil {
			return err
		}
	}
	if err := writeTarFile(tw, "bin/busybox", 0o755, bb); err != nil {
		return err
	}
	applets := append([]string(nil), BusyboxApplets...)
	sort.Strings(applets)
	for _, a := range applets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a,
			Linkname: "busybox", Mode: 0o777, ModTime: imageEpoch}); err != nil {
			return err
		}
	}
	files := []struct{ name, data string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" +
			"app:x:1000:1000:app:/home/app:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n"},
		{"etc/hostname", "busybox\n"},
	}
	for _, f := range files {
		if err := writeTarFile(tw, f.name, 0o644, []byte(f.data)); err != nil {
			return err
		}
	}
	return nil
}

func writeTarFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode,
		Size: int64(len(data)), ModTime: imageEpoch}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// randomFile returns a layer filler writing one file of size bytes from a ChaCha8
// stream seeded by (seed, layer): deterministic and incompressible.
func randomFile(name string, size int64, seed, layer uint64) func(*tar.Writer) error {
	return func(tw *tar.Writer) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: filepath.Dir(name) + "/",
			Mode: 0o755, ModTime: imageEpoch}); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644,
			Size: size, ModTime: imageEpoch}); err != nil {
			return err
		}
		var key [32]byte
		binary.LittleEndian.PutUint64(key[0:], seed)
		binary.LittleEndian.PutUint64(key[8:], layer)
		copy(key[16:], "engine-testutil")
		_, err := io.CopyN(tw, rand.NewChaCha8(key), size)
		return err
	}
}

// Tarball writes a plain (uncompressed) tar of the given entries to path, for
// import tests. Entries are written as given: names with "..", absolute names and
// symlinks pointing anywhere are kept, so tests can check that the engine refuses
// them.
func Tarball(path string, entries []TarEntry) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Name, Mode: e.Mode, ModTime: imageEpoch, Linkname: e.Linkname,
			Typeflag: e.Type, Size: int64(len(e.Data))}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write(e.Data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// TarEntry is one entry for Tarball; Type defaults to a regular file.
type TarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Linkname string
	Data     []byte
}

// BusyboxRootfsTarball writes an uncompressed tar of a busybox root filesystem (the
// base layer's content) to path, for import tests.
func BusyboxRootfsTarball(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := busyboxBase(tw); err != nil {
		f.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
