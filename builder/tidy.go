package builder

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"go.podman.io/storage/pkg/archive"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

// mountPoints are the paths the runtime may create in a container's root to
// mount over (the generated /etc files and the kernel filesystems). A RUN's
// layer must not carry them: podman's builds do not either.
var mountPoints = []string{
	"/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/run/.containerenv",
	"/proc", "/sys", "/dev", "/etc", "/run",
}

// tidyMountPoints removes, from an exited RUN container's layer, the mount
// points the runtime added: empty files and empty directories the image did
// not have. What the command itself wrote stays;
// extra are the RUN's own mount targets.
func tidyMountPoints(s *storage.Store, ctr *engine.Container, extra []string) error {
	points := append(append([]string(nil), mountPoints...), extra...)
	changes, err := s.Changes("", ctr.Layer)
	if err != nil {
		return fmt.Errorf("reading the changes of the RUN container: %w", err)
	}
	var added []string
	for _, ch := range changes {
		if ch.Kind == archive.ChangeAdd && slices.Contains(points, ch.Path) {
			added = append(added, ch.Path)
		}
	}
	if len(added) == 0 {
		return nil
	}
	// Deepest first: /etc/hosts before /etc.
	sort.Slice(added, func(i, j int) bool { return strings.Count(added[i], "/") > strings.Count(added[j], "/") })
	rootfs, err := s.Mount(ctr.ID, "")
	if err != nil {
		return fmt.Errorf("mounting the RUN container: %w", err)
	}
	defer func() { _, _ = s.Unmount(ctr.ID, false) }()
	for _, p := range added {
		full, err := securejoin.SecureJoin(rootfs, p)
		if err != nil {
			continue
		}
		fi, err := os.Lstat(full)
		if err != nil {
			continue
		}
		if fi.IsDir() || (fi.Mode().IsRegular() && fi.Size() == 0) {
			_ = os.Remove(full) // a directory goes only when empty
		}
	}
	return nil
}
