package testutil

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryBinary is Debian's docker-registry (docker/distribution 2.8).
const RegistryBinary = "/usr/bin/docker-registry"

// RegistryOptions configures StartRegistry.
type RegistryOptions struct {
	// User and Password, when User is set, turn on htpasswd basic authentication
	// (bcrypt, the only hash docker-registry accepts).
	User, Password string
}

// StartRegistry starts docker-registry on a free 127.0.0.1 port with its own storage
// directory, waits until GET /v2/ answers (200, or 401 with auth), and returns
// "127.0.0.1:PORT". The registry is killed when the test ends; its log is shown if
// the test failed.
func StartRegistry(t testing.TB, opts RegistryOptions) string {
	t.Helper()
	if _, err := os.Stat(RegistryBinary); err != nil {
		t.Skipf("needs Debian's docker-registry (%s): %v", RegistryBinary, err)
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port can be taken between probe and bind
		addr, err := startRegistry(t, dir, opts, attempt)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return ""
}

func startRegistry(t testing.TB, dir string, opts RegistryOptions, attempt int) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	storageDir := filepath.Join(dir, fmt.Sprintf("storage%d", attempt))
	if err := os.MkdirAll(storageDir, 0o755); err != nil {
		return "", err
	}
	auth := ""
	if opts.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
		if err != nil {
			return "", err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(opts.User+":"+string(hash)+"\n"), 0o644); err != nil {
			return "", err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: engine-test\n    path: %s\n", htpasswd)
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: false
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
  secret: engine-test-secret
%s`, storageDir, addr, auth)
	configPath := filepath.Join(dir, fmt.Sprintf("config%d.yml", attempt))
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return "", err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("registry%d.log", attempt))
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(RegistryBinary, "serve", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A clean environment: REGISTRY_* variables would override the config.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return "", err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); logFile.Close(); close(exited) }()
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return "", fmt.Errorf("docker-registry exited: %v\n%s", waitErr, tail(logPath, 20))
		default:
		}
		resp, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("docker-registry on %s not answering after 15s (last: %v)\n%s", addr, err, tail(logPath, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("docker-registry %s log (tail):\n%s", addr, tail(logPath, 40))
		}
	})
	return addr, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns "127.0.0.1:PORT" for a port nobody listens on (at the time of the
// call): for tests of an unreachable registry.
func FreeAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(string(bytes.TrimRight(data, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
