package builder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/engine-dev/engine/storage"
)

// ErrInvalidArg marks bad input to a build (flags, Dockerfile, context).
var ErrInvalidArg = errors.New("invalid argument")

// Options configure Build.
type Options struct {
	ContextDir string            // the build context
	Dockerfile string            // path of the Dockerfile; "" for CONTEXT/Containerfile or CONTEXT/Dockerfile
	Tags       []string          // names of the final image (-t)
	NoCache    bool              // run every step (the results still feed the cache)
	Quiet      bool              // print only the final image id
	BuildArgs  map[string]string // --build-arg
	Labels     map[string]string // --label, added to the final image
	Target     string            // last stage to build; "" for the last one
	Pull       string            // missing (default), always, never
	Network    string            // network of RUN containers; "" for host
	Secrets    map[string]string // --secret id=ID,src=PATH: files RUN --mount=type=secret shows
	Volumes    []string          // -v SRC:DST[:OPTS] for every RUN (not part of the cache key, as podman)
	Out        io.Writer         // steps and RUN's standard output
	Err        io.Writer         // RUN's standard error; Out when nil
	Registry   storage.RegistryOptions
}

// ParseSecrets reads --secret values: id=ID,src=PATH (type=file, the default).
func ParseSecrets(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, spec := range list {
		var id, src string
		for _, f := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "type":
				if v != "file" {
					return nil, fmt.Errorf("invalid --secret %q: only type=file: %w", spec, ErrInvalidArg)
				}
			default:
				return nil, fmt.Errorf("invalid --secret %q: unknown option %q: %w", spec, k, ErrInvalidArg)
			}
		}
		if src == "" {
			src = id
		}
		if id == "" {
			return nil, fmt.Errorf("invalid --secret %q: want id=ID,src=PATH: %w", spec, ErrInvalidArg)
		}
		if fi, err := os.Stat(src); err != nil || !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("invalid --secret %q: %s is not a file: %w", spec, src, ErrInvalidArg)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, err
		}
		out[id] = abs
	}
	return out, nil
}

// ParseBuildArgs reads --build-arg values: KEY=VALUE, or KEY to take the value
// from this process's environment (left unset when it has none), as podman.
func ParseBuildArgs(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("invalid --build-arg %q: want KEY=VALUE: %w", kv, ErrInvalidArg)
		}
		if !ok {
			env, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = env
		}
		out[k] = v
	}
	return out, nil
}

func (o *Options) pullPolicy() (string, error) {
	switch o.Pull {
	case "", "missing", "ifmissing", "false":
		return "missing", nil
	case "always", "true", "newer", "ifnewer":
		return "always", nil
	case "never":
		return "never", nil
	}
	return "", fmt.Errorf("invalid --pull %q (want missing, always or never): %w", o.Pull, ErrInvalidArg)
}
