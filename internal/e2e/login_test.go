package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// authEntries reads the auths of an auth.json; a missing file has none.
func authEntries(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	out := map[string]string{}
	for k, v := range file.Auths {
		out[k] = v.Auth
	}
	return out
}

func TestLoginLogout(t *testing.T) {
	const user, password = "alice", "s3cret-Pw"
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		addr := testutil.StartRegistry(t, testutil.RegistryOptions{User: user, Password: password})
		img := busybox(t, testutil.ImageOptions{})
		pull(t, e, img)
		defaultAuth := filepath.Join(e.RuntimeDir, "containers", "auth.json")
		wantAuth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))

		// Wrong password: a one-line error, nothing saved.
		res := e.RunStdin(strings.NewReader("wrong\n"), "login", "--tls-verify=false", "-u", user, "--password-stdin", addr)
		wantError(t, e, res, 125, false, "invalid username/password", "unauthorized", "authentication")
		if got := authEntries(t, defaultAuth); got[addr] != "" {
			t.Errorf("[%s] failed login saved credentials: %v", e.Mode(), got)
		}

		// Without credentials the push is refused.
		res = e.Run("push", "--tls-verify=false", img.ID, addr+"/busybox:1")
		wantError(t, e, res, 125, false, "unauthorized", "authentication required", "denied")

		res = e.RunStdin(strings.NewReader(password+"\n"), "login", "--tls-verify=false", "-u", user, "--password-stdin", addr)
		if res.Code != 0 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		if got := strings.TrimSpace(res.Stdout); got != "Login Succeeded!" {
			t.Errorf("[%s] login printed %q, want Login Succeeded!", e.Mode(), got)
		}
		if got := authEntries(t, defaultAuth); got[addr] != wantAuth {
			t.Errorf("[%s] %s after login: auths %v, want %s: %s", e.Mode(), defaultAuth, got, addr, wantAuth)
		}

		e.Must(t, "push", "--tls-verify=false", img.ID, addr+"/busybox:1")
		if got := registryTags(t, addr, "busybox", user, password); !reflect.DeepEqual(got, []string{"1"}) {
			t.Errorf("[%s] registry tags %q after push, want [1]", e.Mode(), got)
		}

		if out := e.Must(t, "logout", addr); out != "Removed login credentials for "+addr {
			t.Errorf("[%s] logout printed %q, want %q", e.Mode(), out, "Removed login credentials for "+addr)
		}
		if got := authEntries(t, defaultAuth); got[addr] != "" {
			t.Errorf("[%s] after logout: auths %v still has %s", e.Mode(), got, addr)
		}
		wantError(t, e, e.Run("logout", addr), 125, false, "not logged in")

		// Logged out, the pull is refused and changes nothing.
		e.Must(t, "rmi", "-a", "-f")
		before := snapshot(t, e)
		res = e.Run("pull", "--tls-verify=false", addr+"/busybox:1")
		wantError(t, e, res, 125, false, "unauthorized", "authentication required")
		wantUnchanged(t, e, before, "pull without credentials")
		// --creds works without a login.
		e.Must(t, "pull", "--tls-verify=false", "--creds", user+":"+password, addr+"/busybox:1")
		if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
			t.Errorf("[%s] pull --creds: ids %q, want [%s]", e.Mode(), got, img.ID)
		}

		// --authfile: credentials go to that file only.
		authfile := filepath.Join(e.Home, "my-auth.json")
		res = e.RunStdin(strings.NewReader(password), "login", "--tls-verify=false", "--authfile", authfile,
			"-u", user, "--password-stdin", addr)
		if res.Code != 0 {
			t.Fatalf("[%s] %s", e.Mode(), res)
		}
		if got := authEntries(t, authfile); got[addr] != wantAuth {
			t.Errorf("[%s] --authfile %s: auths %v, want %s", e.Mode(), authfile, got, addr)
		}
		if got := authEntries(t, defaultAuth); got[addr] != "" {
			t.Errorf("[%s] login --authfile also wrote %s: %v", e.Mode(), defaultAuth, got)
		}
		e.Must(t, "rmi", "-a", "-f")
		e.Must(t, "pull", "--tls-verify=false", "--authfile", authfile, addr+"/busybox:1")
		e.Must(t, "logout", "--authfile", authfile, addr)
		if got := authEntries(t, authfile); got[addr] != "" {
			t.Errorf("[%s] logout --authfile left %v", e.Mode(), got)
		}
	})
}
