// Package shim creates a container through libcontainer from the OCI spec that
// engine.Start left in the container's run directory: the work of the create
// helper the monitor (internal/early) forks for every start and restart.
//
// It imports libcontainer and little else, so that cmd/engine-shim, a small
// program carried inside bin/engine (package shimbin), can do it without the
// image and storage stack's package init that the full binary pays (about
// 20 ms per process, and libcontainer's init re-executes the same binary).
// The full binary's hidden `__create` command calls the same Create when no
// shim is embedded.
package shim
