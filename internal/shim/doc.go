// Package shim is the container side of engine that needs libcontainer and
// nothing else: Create makes a container from the OCI spec engine.Start left in
// its run directory (the create helper the monitor in internal/early forks for
// every start and restart), and Exec runs a process in a running container
// (engine exec).
//
// cmd/engine-shim wraps both, plus libcontainer's `init`, into a program of
// about 6 MB that bin/engine carries (package shimbin). Each of those
// processes, and libcontainer's init, which libcontainer starts by
// re-executing its own binary, would otherwise be the 40 MB engine binary
// paying the image and storage stack's package init (about 20 ms each here).
// Measured on the 2-core development VM: `run --rm --network none IMAGE true`
// about 250 -> 175 ms wall and 380 -> 270 ms CPU, `exec CTR true` about
// 240 -> 190 ms CPU. A test (deps_test.go) keeps the image stack out.
//
// The full binary's hidden `__create` calls the same Create, and engine exec
// falls back to libcontainer in the CLI, when the binary carries no shim (a
// plain `go build`, without the Makefile's engine_shim tag).
package shim
