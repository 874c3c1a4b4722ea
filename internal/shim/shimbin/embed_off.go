//go:build !engine_shim

package shimbin

// Without the engine_shim tag there is no shim: Path fails and the monitor
// runs the full binary's __create.
var (
	binary []byte
	sum    string
)
