package testutil

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func getV2(t *testing.T, addr, user, password string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestStartRegistry checks that docker-registry's htpasswd auth works over plain
// HTTP (it does: distribution 2.8 does not insist on TLS for basic auth) and that
// the registry is gone after the test.
func TestStartRegistry(t *testing.T) {
	var addrs []string
	t.Run("auth", func(t *testing.T) {
		addr := StartRegistry(t, RegistryOptions{User: "alice", Password: "pw"})
		addrs = append(addrs, addr)
		tests := []struct {
			user, password string
			want           int
		}{
			{"", "", http.StatusUnauthorized},
			{"alice", "wrong", http.StatusUnauthorized},
			{"bob", "pw", http.StatusUnauthorized},
			{"alice", "pw", http.StatusOK},
		}
		for _, tc := range tests {
			if got := getV2(t, addr, tc.user, tc.password); got != tc.want {
				t.Errorf("GET /v2/ as %q:%q = %d, want %d", tc.user, tc.password, got, tc.want)
			}
		}
	})
	t.Run("open", func(t *testing.T) {
		addr := StartRegistry(t, RegistryOptions{})
		addrs = append(addrs, addr)
		if got := getV2(t, addr, "", ""); got != http.StatusOK {
			t.Errorf("GET /v2/ = %d, want 200", got)
		}
	})
	for _, addr := range addrs {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("registry on %s still listening after its test ended", addr)
		}
	}
}

// TestMountsUnderFindsLeak mounts a tmpfs the way a leaked layer mount would sit
// under a store and checks that the harness sees and removes it. Needs root.
func TestMountsUnderFindsLeak(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	dir := SharedDir(t)
	target := filepath.Join(dir, "root", "overlay", "x y", "merged") // a space: mountinfo escapes it
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs here: %v", err)
	}
	got, err := MountsUnder(filepath.Join(dir, "root"), filepath.Join(dir, "runroot"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != target {
		unix.Unmount(target, unix.MNT_DETACH)
		t.Fatalf("MountsUnder = %q, want [%s]", got, target)
	}
	unmountAll(got)
	if got, _ := MountsUnder(dir); len(got) != 0 {
		t.Errorf("after unmountAll: %q still mounted", got)
	}
	if got, _ := MountsUnder(filepath.Join(dir, "roo")); len(got) != 0 {
		t.Errorf("MountsUnder matched a mere name prefix: %q", got)
	}
}
