package storage

import (
	"fmt"
	"strings"

	"go.podman.io/image/v5/directory"
	"go.podman.io/image/v5/docker"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	ociarchive "go.podman.io/image/v5/oci/archive"
	ocilayout "go.podman.io/image/v5/oci/layout"
	is "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/types"
)

// Only these transports are linked in: each one costs start-up time in every engine
// invocation, and docker-daemon would bring a whole Docker client.
var knownTransports = []types.ImageTransport{
	docker.Transport, directory.Transport, dockerarchive.Transport,
	ociarchive.Transport, ocilayout.Transport, is.Transport,
}

func init() {
	for _, t := range knownTransports {
		if transports.Get(t.Name()) == nil {
			transports.Register(t)
		}
	}
}

// splitTransport returns the transport named by the prefix of name ("oci:", "docker://"),
// or nil when name is a plain image reference such as "host:5000/busybox".
func splitTransport(name string) (types.ImageTransport, string, error) {
	i := strings.Index(name, ":")
	if i <= 0 {
		return nil, name, nil
	}
	prefix, rest := name[:i], name[i+1:]
	if t := transports.Get(prefix); t != nil {
		return t, rest, nil
	}
	if strings.HasPrefix(rest, "//") {
		return nil, "", fmt.Errorf("%w %q: unknown transport %q", ErrBadReference, name, prefix)
	}
	return nil, name, nil
}

// ParseSource parses a transport-qualified image location ("docker://x", "oci:/dir:tag",
// "docker-archive:/f.tar"); a plain reference means the docker transport.
func ParseSource(name string) (types.ImageReference, error) {
	t, rest, err := splitTransport(name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		t, rest = docker.Transport, "//"+name
	}
	ref, err := t.ParseReference(rest)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadReference, name, err)
	}
	return ref, nil
}
