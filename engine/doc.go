// Package engine runs containers without a daemon: a container's config is the
// metadata of its containers/storage record, its live state is files in its run
// directory (written by the monitor in internal/early, the create helper and the
// commands), and every command on a container takes the container's flock, reads
// and reconciles that state, acts, and writes atomically. Containers are created
// through runc's libcontainer from an OCI spec built here. Mounts, resources,
// security options and networking (through netcni) hook into Create, buildSpec,
// the cleanup and inspect from files of their own.
package engine
