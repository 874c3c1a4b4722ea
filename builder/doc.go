// Package builder will run Dockerfile/Containerfile builds on engine and storage.
// Not implemented yet.
package builder
