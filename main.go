// Command engine is a daemonless, rootless-capable container engine.
package main

import (
	"os"

	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec constructor for "init"
	"go.podman.io/storage/pkg/reexec"

	// Before Go starts: the container monitor (_ENGINE_MONITOR) and, for a non-root
	// user, joining (or creating) the user's user+mount namespace held by a pause
	// process, as podman does. Both run in a C constructor; see its package doc.
	"github.com/engine-dev/engine/internal/cli"
	_ "github.com/engine-dev/engine/internal/early"
)

func main() {
	// libcontainer's init is this binary re-executed inside the new container; it must
	// run before anything parses flags, and never returns.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
	// containers/storage re-executes itself for chrooted archive extraction.
	if reexec.Init() {
		return
	}
	os.Exit(cli.Run(os.Args))
}
