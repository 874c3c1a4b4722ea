// Package storage is engine's image side: it opens the containers/storage store
// (shared with podman, buildah and skopeo through the containers-storage: transport)
// and implements pull, push, tag, remove, inspect, history, save, load, import,
// login and prune on top of containers/image.
//
// Decisions as built:
//   - Every name that goes into the store is normalised as podman does: a name with no
//     registry gets "localhost/", a name with no tag gets ":latest".
//   - containers/image commits layers to the store as they arrive. A copy that fails
//     half way would leave layers that no image uses; pull, load and import record the
//     layers that exist before they start and remove the new unreferenced ones after a
//     failure, under an engine-wide lock file so that two engine processes never remove
//     a layer that the other is still writing (see gc.go).
//   - With no /etc/containers/policy.json the default is to accept any image, as a
//     fresh machine without containers-common has no policy at all.
package storage
