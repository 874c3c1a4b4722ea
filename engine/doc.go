// Package engine will hold containers: config and state records, the state machine,
// locking, OCI spec building, the libcontainer adapter and the per-container monitor.
// It consumes storage and netcni through small interfaces of its own. Nothing is
// implemented here yet: the foundation landed the image side first (see storage).
package engine
