package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// bothModes runs fn once as root and once as the rootless test user, each in a
// parallel subtest with its own engine and store.
func bothModes(t *testing.T, fn func(t *testing.T, e *testutil.Engine)) {
	t.Helper()
	requireIntegration(t)
	t.Parallel()
	for _, mode := range []string{"root", "rootless"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var user *testutil.UserInfo
			if mode == "rootless" {
				user = testutil.User(t)
			}
			fn(t, testutil.NewEngine(t, user))
		})
	}
}

// requireIntegration skips integration tests under -short (make unit) and when not
// root.
func requireIntegration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	testutil.RequireRoot(t)
}

// busybox writes a busybox OCI layout for this test.
func busybox(t *testing.T, opts testutil.ImageOptions) *testutil.Image {
	t.Helper()
	return testutil.BusyboxImageInfo(t, "", opts)
}

// layoutName is the name podman 4.3 gives an image pulled from oci:DIR or
// oci:DIR:latest: "localhost" + DIR + ":latest".
func layoutName(img *testutil.Image) string { return "localhost" + img.Dir + ":latest" }

// pull pulls img from its OCI layout as oci:DIR:latest (TestPullOCILayoutAndList
// covers oci:DIR without a tag) and returns the name podman would give it.
func pull(t *testing.T, e *testutil.Engine, img *testutil.Image) string {
	t.Helper()
	e.Must(t, "pull", img.Ref)
	return layoutName(img)
}

// imageSummary is the part of `images --format json` the tests check (podman's
// field names).
type imageSummary struct {
	ID          string            `json:"Id"`
	Names       []string          `json:"Names"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Size        int64             `json:"Size"`
	Labels      map[string]string `json:"Labels"`
	Digest      string            `json:"Digest"`
	Dangling    bool              `json:"Dangling"`
	Created     int64             `json:"Created"`
}

// listImages runs `images --format json` (with extra args) and parses it.
func listImages(t *testing.T, e *testutil.Engine, args ...string) []imageSummary {
	t.Helper()
	out := e.Must(t, append([]string{"images", "--format", "json"}, args...)...)
	var list []imageSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("[%s] images --format json: %v\noutput: %s", e.Mode(), err, out)
	}
	return list
}

// names lists `images --format '{{.Repository}}:{{.Tag}}'`, sorted.
func names(t *testing.T, e *testutil.Engine, args ...string) []string {
	t.Helper()
	return sortedLines(e.Must(t, append([]string{"images", "--format", "{{.Repository}}:{{.Tag}}"}, args...)...))
}

// ids lists the distinct full image ids of `images -a --no-trunc -q`, sorted, without
// the "sha256:" prefix.
func ids(t *testing.T, e *testutil.Engine) []string {
	t.Helper()
	var out []string
	for _, l := range sortedLines(e.Must(t, "images", "-a", "-q", "--no-trunc")) {
		out = append(out, strings.TrimPrefix(l, "sha256:"))
	}
	return slices.Compact(out)
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// progressLine tells whether a stderr line is podman-style copy progress, which
// podman prints on stderr even when the command then fails.
func progressLine(l string) bool {
	for _, p := range []string{"Getting image source signatures", "Copying blob ", "Copying config ",
		"Writing manifest to image destination", "Storing signatures", "Trying to pull "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// retryLine tells whether a stderr line is a warning about a retried network
// operation (podman retries a failed pull three times and says so).
func retryLine(l string) bool {
	return strings.Contains(l, "level=warning") && strings.Contains(strings.ToLower(l), "retrying")
}

// wantError checks that res failed with code and that stderr, apart from copy
// progress (and retry warnings when allowRetry), is exactly one line starting with
// "Error: " that contains at least one of wants (case-insensitive).
func wantError(t *testing.T, e *testutil.Engine, res testutil.Result, code int, allowRetry bool, wants ...string) {
	t.Helper()
	if res.Code != code {
		t.Errorf("[%s] %s: exit code %d, want %d\nstderr: %s", e.Mode(), res.Cmd, res.Code, code, res.Stderr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(res.Stderr, "\n"), "\n") {
		if strings.TrimSpace(l) == "" || progressLine(l) || (allowRetry && retryLine(l)) {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Errorf("[%s] %s: want exactly one stderr line starting with \"Error: \", got %d lines:\n%s",
			e.Mode(), res.Cmd, len(lines), res.Stderr)
		return
	}
	low := strings.ToLower(lines[0])
	for _, w := range wants {
		if strings.Contains(low, strings.ToLower(w)) {
			return
		}
	}
	if len(wants) > 0 {
		t.Errorf("[%s] %s: error %q names none of %q", e.Mode(), res.Cmd, lines[0], wants)
	}
}

// storeState is what a failed command must leave unchanged.
type storeState struct {
	images  string   // `images -a --format json`
	overlay []string // entries of ROOT/overlay
	layers  int      // records in ROOT/overlay-layers/layers.json
	files   []string // every path under ROOT and RUNROOT but lock files
	varTmp  []string // /var/tmp entries named like the containers libraries' temp files
}

// tempNames are the prefixes of the temporary files and directories containers/image
// and containers/storage create in /var/tmp.
var tempNames = []string{"storage", "container_images", "docker-tar", "oci", "engine"}

func snapshot(t *testing.T, e *testutil.Engine) storeState {
	t.Helper()
	s := storeState{images: e.Must(t, "images", "-a", "--format", "json")}
	s.overlay = dirNames(t, filepath.Join(e.Root, "overlay"))
	if data, err := os.ReadFile(filepath.Join(e.Root, "overlay-layers", "layers.json")); err == nil {
		var layers []json.RawMessage
		if err := json.Unmarshal(data, &layers); err != nil {
			t.Fatalf("layers.json: %v", err)
		}
		s.layers = len(layers)
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, root := range []string{e.Root, e.RunRoot} {
		// Directories without any file below them are left out: an engine may create
		// its own directories in the store lazily (ROOT/engine/tmp, say), which is not
		// a leftover of the failure. Leftover layer directories show in s.overlay.
		var all []string
		hasFile := map[string]bool{}
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || strings.HasSuffix(path, ".lock") {
				return nil
			}
			if strings.HasPrefix(filepath.Base(path), "engine-shim-") {
				return nil // the create helper, written once per binary (a cache, not a leftover)
			}
			all = append(all, path)
			if !d.IsDir() {
				for dir := filepath.Dir(path); len(dir) >= len(root); dir = filepath.Dir(dir) {
					hasFile[dir] = true
				}
				hasFile[path] = true
			}
			return nil
		})
		for _, p := range all {
			if hasFile[p] {
				s.files = append(s.files, p)
			}
		}
	}
	for _, n := range dirNames(t, "/var/tmp") {
		for _, p := range tempNames {
			if strings.HasPrefix(n, p) {
				s.varTmp = append(s.varTmp, n)
			}
		}
	}
	return s
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// wantUnchanged compares the store with a snapshot taken before a failed command.
func wantUnchanged(t *testing.T, e *testutil.Engine, before storeState, what string) {
	t.Helper()
	after := snapshot(t, e)
	if after.images != before.images {
		t.Errorf("[%s] %s changed the image list:\nbefore: %s\nafter:  %s", e.Mode(), what, before.images, after.images)
	}
	if !slices.Equal(after.overlay, before.overlay) {
		t.Errorf("[%s] %s changed ROOT/overlay: before %q, after %q", e.Mode(), what, before.overlay, after.overlay)
	}
	if after.layers != before.layers {
		t.Errorf("[%s] %s changed the layer count: before %d, after %d", e.Mode(), what, before.layers, after.layers)
	}
	if added, removed := diff(before.files, after.files); len(added)+len(removed) > 0 {
		t.Errorf("[%s] %s changed files in the store:\nadded:   %q\nremoved: %q", e.Mode(), what, added, removed)
	}
	if added, _ := diff(before.varTmp, after.varTmp); len(added) > 0 {
		// Another test may be copying at this moment: only what stays is a leftover.
		time.Sleep(2 * time.Second)
		var stayed []string
		for _, n := range added {
			if _, err := os.Lstat(filepath.Join("/var/tmp", n)); err == nil {
				stayed = append(stayed, n)
			}
		}
		if len(stayed) > 0 {
			t.Errorf("[%s] %s left temporary files in /var/tmp: %q", e.Mode(), what, stayed)
		}
	}
}

// diff returns the elements only in b (added) and only in a (removed).
func diff(a, b []string) (added, removed []string) {
	inA := map[string]bool{}
	for _, x := range a {
		inA[x] = true
	}
	inB := map[string]bool{}
	for _, x := range b {
		inB[x] = true
		if !inA[x] {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !inB[x] {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// registryTags asks the registry itself which tags repo has.
func registryTags(t *testing.T, addr, repo, user, password string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/"+repo+"/tags/list", nil)
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
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("registry tags/list: status %d: %v", resp.StatusCode, err)
	}
	sort.Strings(body.Tags)
	return body.Tags
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
