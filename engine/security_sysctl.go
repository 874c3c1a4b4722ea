package engine

import (
	"fmt"
	"strings"

	"go.podman.io/common/pkg/sysctl"
)

// parseSysctls checks --sysctl KEY=VALUE: only namespaced sysctls (net.*, the IPC
// ones, fs.mqueue.*), as docker and podman validate; the IPC ones not when the
// container shares the host's IPC namespace.
func parseSysctls(in []string, ipc NamespaceMode) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m, err := sysctl.Validate(in)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrInvalidArg)
	}
	if ipc.Host() {
		for k, v := range m {
			if strings.HasPrefix(k, "kernel.") || strings.HasPrefix(k, "fs.mqueue.") {
				return nil, fmt.Errorf("sysctl %s=%s can't be set since IPC Namespace set to host: %w", k, v, ErrInvalidArg)
			}
		}
	}
	return m, nil
}
