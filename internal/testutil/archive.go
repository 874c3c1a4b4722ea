package testutil

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"

	digest "github.com/opencontainers/go-digest"
)

// dockerManifestEntry is one image in a docker-archive's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteDockerArchive writes img (from its OCI layout) as a docker-archive tarball
// (`docker save` format: manifest.json, the config as ID.json, each layer
// uncompressed as DIFFID.tar) with the given RepoTags. manifest.json comes first, so
// that a truncated copy still names its layers: load must then fail on the layer.
func WriteDockerArchive(img *Image, path string, repoTags []string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	entry := dockerManifestEntry{Config: img.ID + ".json", RepoTags: repoTags}
	for _, d := range img.DiffIDs {
		entry.Layers = append(entry.Layers, d.Encoded()+".tar")
	}
	manifest, err := json.Marshal([]dockerManifestEntry{entry})
	if err != nil {
		return err
	}
	if err := writeTarFile(tw, "manifest.json", 0o644, manifest); err != nil {
		return err
	}
	config, err := os.ReadFile(blobPath(img.Dir, digest.NewDigestFromEncoded(digest.SHA256, img.ID)))
	if err != nil {
		return err
	}
	if err := writeTarFile(tw, entry.Config, 0o644, config); err != nil {
		return err
	}
	for i, layer := range img.Layers {
		if err := copyLayerUncompressed(tw, blobPath(img.Dir, layer), entry.Layers[i]); err != nil {
			return fmt.Errorf("layer %s: %w", layer, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func copyLayerUncompressed(tw *tar.Writer, blob, name string) error {
	size, err := uncompressedSize(blob)
	if err != nil {
		return err
	}
	f, err := os.Open(blob)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644,
		Size: size, ModTime: imageEpoch}); err != nil {
		return err
	}
	_, err = io.Copy(tw, gz)
	return err
}

func uncompressedSize(blob string) (int64, error) {
	f, err := os.Open(blob)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, gz)
}
