// Command engine-shim is the part of engine that creates containers: the
// monitor's create helper (`create RUNDIR ID`, see package shim), engine
// exec's runner (`exec`) and libcontainer's `init`, which libcontainer runs as
// this binary re-executed inside the new namespaces. It links libcontainer and nothing of the image
// stack, so each of those two processes starts in a few milliseconds. bin/engine
// carries it (internal/shim/shimbin) and runs it from the run root.
package main

import (
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec constructor for "init"

	"github.com/engine-dev/engine/internal/shim"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init() // never returns
	}
	if len(os.Args) == 4 && os.Args[1] == "create" {
		os.Exit(shim.Create(os.Args[2], os.Args[3]))
	}
	if len(os.Args) == 2 && os.Args[1] == "exec" {
		os.Exit(shim.Exec())
	}
	fmt.Fprintln(os.Stderr, "engine-shim is run by engine: create RUNDIR ID | exec | init")
	os.Exit(125)
}
