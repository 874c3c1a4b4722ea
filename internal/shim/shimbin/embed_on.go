//go:build engine_shim

package shimbin

import _ "embed"

// The Makefile writes both files before it builds bin/engine with this tag.
var (
	//go:embed engine-shim
	binary []byte
	//go:embed engine-shim.sum
	sum string
)
