package engine

import (
	"fmt"
	"io"

	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// VolumeExport writes a tar of the volume's content to w (`volume export`). The
// tar is made chrooted into the volume: a container that swaps a directory in the
// volume for a symlink meanwhile cannot make it read the host.
func (r *Runtime) VolumeExport(name string, w io.Writer) error {
	v, err := r.volumes().get(name)
	if err != nil {
		return err
	}
	rc, err := chrootarchive.Tar(v.Mountpoint, &archive.TarOptions{}, v.Mountpoint)
	if err != nil {
		return fmt.Errorf("exporting volume %s: %w", name, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("exporting volume %s: %w", name, err)
	}
	return nil
}

// VolumeImport extracts a tar (plain or compressed) into the volume, over what it
// holds (`volume import`); extraction is chrooted into the volume.
func (r *Runtime) VolumeImport(name string, rd io.Reader) error {
	v, err := r.volumes().get(name)
	if err != nil {
		return err
	}
	if err := chrootarchive.Untar(rd, v.Mountpoint, &archive.TarOptions{}); err != nil {
		return fmt.Errorf("importing into volume %s: %w", name, err)
	}
	return nil
}
