// Command engine is a daemonless, rootless-capable container engine.
package main

import (
	"os"

	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // runs the nsexec constructor for "init"
	"go.podman.io/storage/pkg/reexec"
	"go.podman.io/storage/pkg/unshare"

	"github.com/engine-dev/engine/internal/cli"
)

func main() {
	// Order matters: libcontainer's init is a re-exec of this binary inside the new
	// container; it must run before anything else parses flags, and never returns.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
	// containers/storage re-executes itself for chrooted archive extraction.
	if reexec.Init() {
		return
	}
	// A non-root user runs inside a user namespace built from /etc/subuid and
	// /etc/subgid, as buildah and podman do; the same mappings every invocation keep
	// the store's ownership stable.
	if cli.NeedsUserNamespace(os.Args) {
		unshare.MaybeReexecUsingUserNamespace(false)
	}
	os.Exit(cli.Run(os.Args))
}
