// Package testutil is the harness for engine's integration tests: it locates or builds
// the engine binary, writes small OCI image layouts from Debian's busybox-static
// without any network, starts a throwaway registry (Debian's docker-registry) on
// 127.0.0.1, creates the unprivileged test user with subordinate id ranges, and runs
// the binary as root or as that user against a per-test store, checking on cleanup
// that nothing was left mounted.
//
// Nothing here changes how the product behaves: the binary under test is the one
// users run, driven only through its command line and environment.
package testutil
