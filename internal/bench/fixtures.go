package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// registryBinary is Debian's docker-registry (docker/distribution).
const registryBinary = "/usr/bin/docker-registry"

// Fixtures are the images every workload uses, written offline under Dir.
type Fixtures struct {
	Dir      string
	Busybox  string   // OCI layout of the busybox image
	Big      string   // OCI layout of the ~100 MB, 5-layer image
	Tarballs []string // tiny distinct root filesystems, for `import`
	// BuildContext is a directory with a 10-step Dockerfile FROM the registry's busybox.
	BuildContext string
	Registry     string // "127.0.0.1:PORT" of the loopback registry
}

// BusyboxRef and BigRef are the fixture images' names in the registry.
func (f *Fixtures) BusyboxRef() string { return f.Registry + "/bench/busybox:latest" }
func (f *Fixtures) BigRef() string     { return f.Registry + "/bench/big:latest" }

// writeImages writes the two OCI layouts: busybox and the big image (4 layers of
// bigLayerBytes incompressible, seeded data on top of busybox).
func writeImages(f *Fixtures, bigLayerBytes int64) error {
	f.Busybox = filepath.Join(f.Dir, "busybox")
	if _, err := testutil.WriteBusyboxImage(f.Busybox, testutil.ImageOptions{}); err != nil {
		return fmt.Errorf("busybox layout: %w", err)
	}
	f.Big = filepath.Join(f.Dir, "big")
	if _, err := testutil.WriteBusyboxImage(f.Big, testutil.ImageOptions{
		ExtraLayers: 4, ExtraLayerBytes: bigLayerBytes, Seed: 6,
	}); err != nil {
		return fmt.Errorf("big layout: %w", err)
	}
	return nil
}

// writeTarballs writes n tiny root filesystems that differ in one file, so that
// every `import` makes a distinct image.
func writeTarballs(f *Fixtures, n int) error {
	dir := filepath.Join(f.Dir, "tarballs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f.Tarballs = f.Tarballs[:0]
	for i := 0; i < n; i++ {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		data := []byte(fmt.Sprintf("image %d\n", i))
		hdr := &tar.Header{Name: "id", Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		path := filepath.Join(dir, fmt.Sprintf("img%03d.tar", i))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
		f.Tarballs = append(f.Tarballs, path)
	}
	return nil
}

// Registry is a running docker-registry.
type Registry struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startRegistry starts docker-registry on a free 127.0.0.1 port with its storage in
// dir and waits until it answers; it retries on another port when the one it
// picked was taken meanwhile.
func startRegistry(ctx context.Context, dir string) (*Registry, error) {
	if _, err := os.Stat(registryBinary); err != nil {
		return nil, fmt.Errorf("needs Debian's docker-registry: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		r, err := tryRegistry(ctx, filepath.Join(dir, fmt.Sprint(attempt)))
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryRegistry(ctx context.Context, dir string) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: engine-bench
`, filepath.Join(dir, "storage"), addr)
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	r := &Registry{Addr: addr, done: make(chan struct{}), log: filepath.Join(dir, "registry.log")}
	logFile, err := os.Create(r.log)
	if err != nil {
		return nil, err
	}
	r.cmd = exec.Command(registryBinary, "serve", configPath)
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	r.cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"} // REGISTRY_* would override the config
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { r.cmd.Wait(); logFile.Close(); close(r.done) }()
	if err := r.waitReady(ctx, 15*time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// waitReady polls GET /v2/ until it answers 200.
func (r *Registry) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-r.done:
			return fmt.Errorf("docker-registry exited: %s", r.logTail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker-registry on %s not answering after %v (%v): %s", r.Addr, limit, err, r.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the registry and waits for it.
func (r *Registry) Stop() {
	if r == nil || r.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
}

func (r *Registry) logTail() string {
	data, _ := os.ReadFile(r.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " / ")
}
