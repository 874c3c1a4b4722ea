package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
	"golang.org/x/sys/unix"
)

// Bench holds the prepared fixtures and tools of one run.
type Bench struct {
	cfg  *Config
	log  io.Writer
	base string // the temporary directory holding everything
	fix  Fixtures
	reg  *Registry
	user *BenchUser

	// root and rootless are the tool pairs, engine first; a nil podman (or a nil
	// rootless pair) comes with the reason in podmanMissing / rootlessMissing.
	root, rootless                 [2]*Tool
	podmanMissing, rootlessMissing string
	notes                          []string
}

// logf prints a progress line to stderr.
func (b *Bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

// prepare makes the temporary directory, the fixtures, the registry and the tools,
// and loads the fixture images into every store. An error here means nothing can
// be measured.
func (b *Bench) prepare(ctx context.Context) error {
	var err error
	if b.base, err = os.MkdirTemp("", "engine-bench-"); err != nil {
		return err
	}
	if err := os.Chmod(b.base, 0o755); err != nil { // the rootless user must traverse it
		return err
	}
	b.logf("working in %s", b.base)
	if err := isolate(b.base); err != nil {
		return err
	}
	engineBin, err := b.copyEngine()
	if err != nil {
		return err
	}
	if err := b.prepareFixtures(ctx); err != nil {
		return err
	}
	if b.root[0], err = newEngineTool(engineBin, filepath.Join(b.base, "engine"), nil, "root"); err != nil {
		return err
	}
	if err := b.pushFixtures(ctx, b.root[0]); err != nil {
		return err
	}
	if err := b.loadBusybox(ctx, b.root[0]); err != nil {
		return err
	}
	b.root[1], b.podmanMissing = b.setupPodman(ctx, nil, filepath.Join(b.base, "podman"), "root")
	if b.cfg.Rootless {
		b.setupRootless(ctx, engineBin)
	} else {
		b.rootlessMissing = "skipped (-rootless=false)"
	}
	return ctx.Err()
}

// copyEngine copies the engine binary into the temporary directory (a rebuild
// during the run changes nothing; the rootless user can reach it) and returns
// the copy's path.
func (b *Bench) copyEngine() (string, error) {
	src, err := filepath.Abs(b.cfg.Engine)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(b.base, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(bin, "engine")
	if err := copyExecutable(src, dst); err != nil {
		return "", fmt.Errorf("engine binary: %w", err)
	}
	return dst, nil
}

// prepareFixtures writes the images, tarballs and build context and starts the
// registry.
func (b *Bench) prepareFixtures(ctx context.Context) error {
	b.fix.Dir = filepath.Join(b.base, "fixtures")
	b.logf("writing fixtures (busybox, 4 x %d MB image, %d tarballs)", b.cfg.BigLayerMB, b.cfg.Images)
	if err := writeImages(&b.fix, int64(b.cfg.BigLayerMB)<<20); err != nil {
		return err
	}
	if err := writeTarballs(&b.fix, b.cfg.Images); err != nil {
		return err
	}
	var err error
	if b.reg, err = startRegistry(ctx, filepath.Join(b.base, "registry")); err != nil {
		return err
	}
	b.fix.Registry = b.reg.Addr
	b.logf("registry on %s", b.reg.Addr)
	return writeBuildContext(&b.fix)
}

// pushFixtures pushes busybox and the big image into the registry through engine,
// then removes the big image from engine's store so that its first pull is cold.
func (b *Bench) pushFixtures(ctx context.Context, e *Tool) error {
	b.logf("pushing the fixtures to the registry")
	for _, img := range []struct{ layout, ref string }{{b.fix.Busybox, b.fix.BusyboxRef()}, {b.fix.Big, b.fix.BigRef()}} {
		out, err := e.Run(ctx, "pull", "-q", "oci:"+img.layout+":latest")
		if err != nil {
			return err
		}
		id := lastLine(out) // pull -q prints the image id
		if _, err := e.Run(ctx, "push", "-q", "--tls-verify=false", id, img.ref); err != nil {
			return err
		}
	}
	_, err := e.Run(ctx, "rmi", "-a", "-f")
	return err
}

// loadBusybox pulls busybox from the registry into t's store and runs it once: the
// first container of a store pays one-off set-up costs that are not measured.
func (b *Bench) loadBusybox(ctx context.Context, t *Tool) error {
	if _, err := t.Run(ctx, "pull", "-q", "--tls-verify=false", b.fix.BusyboxRef()); err != nil {
		return err
	}
	_, err := t.Run(ctx, "run", "--rm", "--network", "none", b.fix.BusyboxRef(), "true")
	return err
}

// setupPodman makes a podman tool in dir and loads busybox into it, or says why
// podman cannot be measured here.
func (b *Bench) setupPodman(ctx context.Context, cred *BenchUser, dir, userName string) (*Tool, string) {
	bin, err := exec.LookPath(b.cfg.Podman)
	if err != nil {
		return nil, "podman not installed: " + err.Error()
	}
	var c = credOf(cred)
	p, err := newPodmanTool(bin, dir, c, userName)
	if err != nil {
		return nil, err.Error()
	}
	if err := b.loadBusybox(ctx, p); err != nil {
		return nil, "podman does not run here: " + err.Error()
	}
	return p, ""
}

// setupRootless creates the bench user and the rootless tool pair.
func (b *Bench) setupRootless(ctx context.Context, engineBin string) {
	u, err := ensureBenchUser()
	if err != nil {
		b.rootlessMissing = "no rootless user: " + err.Error()
		return
	}
	b.user = u
	e, err := newEngineTool(engineBin, filepath.Join(b.base, "rl-engine"), u.Credential(), u.Name)
	if err == nil {
		err = b.loadBusybox(ctx, e)
	}
	if err != nil {
		b.rootlessMissing = "rootless engine does not run here: " + err.Error()
		return
	}
	b.rootless[0] = e
	// Short directory names: rootless podman refuses a runroot longer than 50
	// characters.
	b.rootless[1], b.rootlessMissing = b.setupPodman(ctx, u, filepath.Join(b.base, "rl-podman"), u.Name)
}

// cleanup removes every container, ends every process the benchmark left (the
// rootless pause processes included), unmounts and removes the temporary
// directory and stops the registry. It must work from any point of prepare.
func (b *Bench) cleanup() {
	if b.base == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, t := range append(b.root[:], b.rootless[:]...) {
		if t != nil {
			t.Run(ctx, append(append([]string(nil), t.ForceRm...), "-a")...)
		}
	}
	killStrays(b.base, b.user)
	b.reg.Stop()
	unmountUnder(b.base)
	if b.cfg.Keep {
		b.logf("kept %s", b.base)
		return
	}
	if err := os.RemoveAll(b.base); err != nil {
		b.logf("removing %s: %v", b.base, err)
	}
}

// killStrays SIGKILLs every process left by the run: those of the rootless user
// (or its subordinate ids) and those whose command line, working directory or root
// lies in base (monitors, conmons, containers).
func killStrays(base string, u *BenchUser) {
	self := os.Getpid()
	for attempt := 0; attempt < 5; attempt++ {
		pids := straysOf(base, u, self)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// straysOf lists the pids killStrays must end.
func straysOf(base string, u *BenchUser, self int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, ent := range entries {
		var pid int
		if _, err := fmt.Sscanf(ent.Name(), "%d", &pid); err != nil || pid == self || pid == 1 {
			continue
		}
		dir := filepath.Join("/proc", ent.Name())
		var st unix.Stat_t
		if unix.Stat(dir, &st) != nil {
			continue
		}
		if u != nil && u.owns(st.Uid) {
			pids = append(pids, pid)
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		cwd, _ := os.Readlink(filepath.Join(dir, "cwd"))
		root, _ := os.Readlink(filepath.Join(dir, "root"))
		if bytes.Contains(cmdline, []byte(base)) || under(cwd, base) || under(root, base) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// under tells whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// unmountUnder detaches every mount at or below dir, deepest first.
func unmountUnder(dir string) {
	mounts, _ := testutil.MountsUnder(dir)
	for _, m := range mounts {
		_ = unix.Unmount(m, unix.MNT_DETACH)
	}
}

// credOf is u's credential, nil for root.
func credOf(u *BenchUser) *syscall.Credential {
	if u == nil {
		return nil
	}
	return u.Credential()
}

// hostInfo describes the machine and the tools for the report.
func (b *Bench) hostInfo(ctx context.Context) map[string]string {
	info := map[string]string{"cpus": fmt.Sprint(runtime.NumCPU())}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		info["kernel"] = unix.ByteSliceToString(uts.Release[:])
	}
	if b.root[0] != nil {
		out, _ := b.root[0].Run(ctx, "--version")
		info["engine"] = out
	}
	if b.root[1] != nil {
		out, _ := b.root[1].Run(ctx, "--version")
		info["podman"] = out
	}
	if out, err := exec.CommandContext(ctx, "runc", "--version").Output(); err == nil {
		info["runc (podman's runtime)"] = strings.SplitN(string(out), "\n", 2)[0]
	}
	if out, err := exec.CommandContext(ctx, "conmon", "--version").Output(); err == nil {
		info["conmon"] = strings.SplitN(string(out), "\n", 2)[0]
	}
	info["load average at start"] = loadAverage()
	return info
}

// loadAverage is the 1, 5 and 15 minute load average: other work on the machine
// shows in the timings.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
