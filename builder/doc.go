// Package builder runs Dockerfile/Containerfile builds on engine and storage.
//
// Decisions as built:
//
//   - Parsing is moby/buildkit's frontend/dockerfile parser and instructions
//     packages (v0.30, the newest release that builds with the pinned
//     containers and grpc modules); variables are expanded with its shell lexer.
//   - RUN runs in a real container made by engine.Runtime.Create and started
//     through the monitor like `engine run`, with the host's network by default
//     (as BuildKit's host mode: no CNI setup per step; --network overrides).
//     Mount points the runtime had to create (/etc/hosts, /etc/resolv.conf, ...)
//     are removed before the container's changes are committed.
//   - COPY and ADD write into a scratch writable layer mounted on the current
//     image; sources are archived from the context with containers/storage's
//     archive package (.dockerignore patterns, ownership 0:0 or --chown) and
//     extracted with its chrootarchive, so neither a context symlink nor an image
//     symlink makes a copy leave its root.
//   - Every RUN, COPY and ADD commits a layer and an intermediate image (no names)
//     through storage.NewImage; config-only instructions (ENV, LABEL, WORKDIR,
//     ...) change the config in memory and make no image of their own. A stage
//     that ends with config-only instructions gets a final image on its last
//     layer, which takes the place of the image made for that layer in the same
//     build (keeping that step's config as big data for its cache key): so no
//     two images of one build share a top layer, and `images` (which tells
//     intermediate from dangling by layers) lists no step image as dangling.
//     podman, which tells them apart by history (one entry per image), shows
//     intermediate images followed by config-only steps as dangling.
//   - Cache: every step extends a chain key (sha256 of the previous key, the
//     instruction after ARG/ENV expansion, the build arguments a RUN sees, and
//     for COPY/ADD a digest of the copied files' names, modes and contents, not
//     their times). Images made by a build record their key in the store's
//     image metadata; a build reads every image's key once and reuses an image
//     whose key matches, so a fully cached build runs no container and writes
//     nothing but the final tag.
package builder
