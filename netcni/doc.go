// Package netcni will wire container networks through CNI: conflists, the default
// bridge, netns setup and teardown, and rootless networking. The CNI plugins it runs
// are built by `make cni` from the versions pinned in go.mod. Not implemented yet.
package netcni
