package netcni

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/sirupsen/logrus"
)

// cniExec runs CNI plugins as libcni's own RawExec does, and adds:
//
//   - a debug line per plugin call with its duration (--log-level debug), which is
//     how the costs in doc.go were measured;
//   - concurrent DEL (async): each plugin of a chain is started as libcni asks
//     for it and wait collects them all. The plugins of one chain delete disjoint
//     things (the veth, lease and masquerade of bridge; the DNAT rules of portmap;
//     the accept rules of firewall) and nothing can reuse the address before the
//     store's network lock, held by the caller, is released; so one DEL costs its
//     slowest plugin rather than their sum, and a failing plugin no longer stops
//     the others from cleaning up;
//   - glibc's malloc told to keep large blocks on the heap (mallocTunable) for the
//     nft and iptables the plugins run;
//   - a PATH per plugin type (paths): see delPaths.
type cniExec struct {
	raw   invoke.RawExec
	async bool
	paths map[string]string
	// netns: run the plugins in this netns (a rootless store's, see rootlessns.go).
	netns string
	// lockFile: iptables-legacy's lock (XTABLES_LOCKFILE), for a rootless store.
	lockFile string

	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// ExecPlugin runs pluginPath with stdin and environ (one CNI call).
func (e *cniExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	if p, ok := e.paths[filepath.Base(pluginPath)]; ok {
		environ = withEnv(environ, "PATH", p)
	}
	environ = withEnv(environ, "GLIBC_TUNABLES", mallocTunable(envValue(environ, "GLIBC_TUNABLES")))
	if e.lockFile != "" {
		environ = withEnv(environ, "XTABLES_LOCKFILE", e.lockFile)
	}
	if !e.async {
		return e.run(ctx, pluginPath, stdin, environ)
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if _, err := e.run(ctx, pluginPath, stdin, environ); err != nil {
			e.mu.Lock()
			e.errs = append(e.errs, err)
			e.mu.Unlock()
		}
	}()
	return nil, nil
}

func (e *cniExec) run(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	start := time.Now()
	var out []byte
	var err error
	if e.netns != "" {
		err = inNetns(e.netns, func() (xerr error) {
			out, xerr = e.raw.ExecPlugin(ctx, pluginPath, stdin, environ)
			return xerr
		})
	} else {
		out, err = e.raw.ExecPlugin(ctx, pluginPath, stdin, environ)
	}
	if logrus.IsLevelEnabled(logrus.DebugLevel) {
		logrus.Debugf("cni %s %s: %v (err: %v)", envValue(environ, "CNI_COMMAND"), filepath.Base(pluginPath),
			time.Since(start).Round(time.Millisecond), err)
	}
	if err != nil {
		return nil, errors.New(filepath.Base(pluginPath) + ": " + err.Error())
	}
	return out, nil
}

// wait waits for the plugins started by an async exec and returns their errors.
func (e *cniExec) wait() error {
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.errs...)
}

// FindInPath looks a plugin up as libcni does.
func (e *cniExec) FindInPath(plugin string, paths []string) (string, error) {
	return e.raw.FindInPath(plugin, paths)
}

// Decode reads a plugin's VERSION answer as libcni does.
func (e *cniExec) Decode(b []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(b)
}

// mallocTunable adds glibc.malloc.mmap_threshold to a GLIBC_TUNABLES value. nft
// allocates its parser's buffers (128 KiB each, above glibc's default threshold)
// with mmap and frees them with munmap, about 30 times per call; munmap costs
// ~0.7 ms here (a VM's TLB shootdowns), which made each `nft -f` ~65 ms instead
// of ~30 ms. A higher threshold serves them from the heap. A value the user set
// is kept.
func mallocTunable(cur string) string {
	if strings.Contains(cur, "glibc.malloc.mmap_threshold") {
		return cur
	}
	const t = "glibc.malloc.mmap_threshold=8388608"
	if cur == "" {
		return t
	}
	return cur + ":" + t
}

// withEnv sets key=value in environ.
func withEnv(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

func envValue(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}
