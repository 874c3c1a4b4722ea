package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// Differences from podman 4.3.1 found by a side-by-side audit of the image and
// volume commands, as CI scripts use them. Each test pins podman's behaviour.

// auditEngine is a root engine with one busybox image pulled; it returns the
// image's name. The audit is about output and exit codes, the same in both modes.
func auditEngine(t *testing.T) (*testutil.Engine, *testutil.Image, string) {
	t.Helper()
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := busybox(t, testutil.ImageOptions{})
	return e, img, pull(t, e, img)
}

// TestAuditRmiForceUnknown: `rmi -f` and `rmi --ignore` skip names that match no
// image, exit 0 and no message, as podman's do; otherwise they stay errors (exit 1).
func TestAuditRmiForceUnknown(t *testing.T) {
	e, img, name := auditEngine(t)
	wantOut(t, e, e.Run("rmi", "-f", "audit-nosuch"), "")
	res := e.Run("rmi", "-f", "audit-nosuch", name)
	if res.Code != 0 || !contains(sortedLines(res.Stdout), "Deleted: "+img.ID) || res.Stderr != "" {
		t.Errorf("rmi -f nosuch %s: want exit 0 deleting %s and no stderr, got %s", name, img.ID, res)
	}
	wantError(t, e, e.Run("rmi", "audit-nosuch"), 1, false, "audit-nosuch")
	// podman's rmi --ignore (-i) skips unknown names without forcing anything.
	wantOut(t, e, e.Run("rmi", "--ignore", "audit-nosuch"), "")
	wantOut(t, e, e.Run("rmi", "-i", "audit-nosuch"), "")
}

// TestAuditImageInspectTemplate: `image inspect --format` runs over the image's
// record as podman's does. A field the JSON omits (an image without Entrypoint)
// prints "[]" instead of failing with exit 125, History rows have podman's Go
// names, Created prints as a time, and {{.Id}} is the id.
func TestAuditImageInspectTemplate(t *testing.T) {
	e, img, name := auditEngine(t)
	tmpl := "{{.Id}}|{{.Config.Entrypoint}}|{{.Config.Cmd}}|{{.Config.WorkingDir}}|{{.Os}}|{{range .History}}{{.CreatedBy}};{{end}}|{{.Created}}"
	want := img.ID + "|[]|[sh]||linux|" + historyCreatedBy(img) + "|" + img.Config.Created.UTC().String() + "\n"
	wantOut(t, e, e.Run("image", "inspect", "--format", tmpl, name), want)
	// A missing image among found ones: podman prints the found ones and fails.
	res := e.Run("image", "inspect", "--format", "{{.Id}}", name, "audit-nosuch")
	if res.Code != 125 || res.Stdout != img.ID+"\n" || !strings.Contains(res.Stderr, "inspecting object: audit-nosuch") {
		t.Errorf("image inspect NAME nosuch: want exit 125, the id on stdout and podman's error, got %s", res)
	}
	// Only missing ones: podman still prints an empty JSON list.
	res = e.Run("image", "inspect", "audit-nosuch")
	if res.Code != 125 || strings.TrimSpace(res.Stdout) != "[]" {
		t.Errorf("image inspect nosuch: want exit 125 and [] on stdout, got %s", res)
	}
}

func historyCreatedBy(img *testutil.Image) string {
	var b strings.Builder
	for _, h := range img.Config.History {
		b.WriteString(h.CreatedBy + ";")
	}
	return b.String()
}

// TestAuditImagePruneAsks: without -f, `image prune` asks podman's question and
// removes nothing unless the answer is yes; a closed stdin is an error (exit 125).
func TestAuditImagePruneAsks(t *testing.T) {
	e, img, _ := auditEngine(t)
	e.Must(t, "untag", img.ID) // dangling
	res := e.RunStdin(strings.NewReader(""), "image", "prune")
	if res.Code != 125 || !strings.HasPrefix(res.Stdout, "WARNING! This command removes all dangling images.") {
		t.Errorf("image prune, stdin closed: want podman's warning and exit 125, got %s", res)
	}
	res = e.RunStdin(strings.NewReader("n\n"), "image", "prune", "-a")
	if res.Code != 0 || !strings.Contains(res.Stdout, "without at least one container") || !strings.HasSuffix(res.Stdout, "[y/N] ") {
		t.Errorf("image prune -a, answer n: want podman's -a warning and exit 0, got %s", res)
	}
	if got := ids(t, e); len(got) != 1 {
		t.Fatalf("after prunes that were not confirmed: images %q, want %s kept", got, img.ID)
	}
	res = e.RunStdin(strings.NewReader("y\n"), "image", "prune")
	if res.Code != 0 || !strings.HasSuffix(res.Stdout, "[y/N] "+img.ID+"\n") {
		t.Errorf("image prune, answer y: want the pruned id after the question, got %s", res)
	}
	if got := ids(t, e); len(got) != 0 {
		t.Errorf("after a confirmed prune: images %q, want none", got)
	}
}

// TestAuditHistory: `history` ids as podman prints them (--no-trunc gives the bare
// 64-hex id, no "sha256:"), sizes human-readable even with --human=false, CREATED
// BY cut with "...", podman's template fields {{.CreatedAt}} and {{.CreatedSince}},
// and the JSON's second-precision "Created".
func TestAuditHistory(t *testing.T) {
	e, img, name := auditEngine(t)
	created := img.Config.History[0].Created.UTC()
	wantOut(t, e, e.Run("history", "-q", "--no-trunc", name), img.ID+"\n")
	wantOut(t, e, e.Run("history", "--no-trunc", "--format", "{{.ID}}", name), img.ID+"\n")
	by := img.Config.History[0].CreatedBy
	wantOut(t, e, e.Run("history", "--human=false", "--format", "{{.Created}}|{{.CreatedAt}}|{{.CreatedBy}}", name),
		created.Format(time.RFC3339)+"|"+created.String()+"|"+by[:42]+"...\n")
	out := e.Must(t, "history", "--human=false", "--format", "{{.Size}}|{{.CreatedSince}}", name)
	if ok, _ := regexp.MatchString(`^\d+(\.\d+)? [kM]B\|\d{4}-\d\d-\d\dT`, out); !ok {
		t.Errorf("history --human=false {{.Size}}|{{.CreatedSince}} = %q, want a human size (as podman) and the RFC 3339 time", out)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(e.Must(t, "history", "--format", "json", name)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["Created"] != created.Format(time.RFC3339) || rows[0]["id"] != img.ID {
		t.Errorf("history --format json = %v, want one row with id %s and Created %s", rows, img.ID, created.Format(time.RFC3339))
	}
}

// TestAuditImagesTemplate: `images --format` takes podman's fields: the JSON
// record's ({{.Id}} the full id, {{.VirtualSize}} in bytes, {{.RepoTags}}, ...),
// {{.CreatedAt}} to the second, and {{.Labels}} filled in a template (it was
// always empty there).
func TestAuditImagesTemplate(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := busybox(t, testutil.ImageOptions{Labels: map[string]string{"audit": "yes"}})
	name := pull(t, e, img)
	sum := listImages(t, e)[0]
	tmpl := "{{.Id}}|{{.VirtualSize}}|{{.SharedSize}}|{{.RepoTags}}|{{.History}}|{{.CreatedAt}}|{{.Labels}}|{{index .Labels \"audit\"}}"
	want := fmt.Sprintf("%s|%d|0|[%s]|%s|%s|map[audit:yes]|yes\n", img.ID, sum.Size, name, name, time.Unix(sum.Created, 0))
	wantOut(t, e, e.Run("images", "--format", tmpl), want)
}

// TestAuditVolumeListPruneInspect: with no volumes `volume ls` prints nothing, not
// a header; `volume prune` without -f names the volumes it would remove before it
// asks, and with none says so and succeeds without reading stdin; `volume inspect`
// prints the volumes it found before failing on a missing one.
func TestAuditVolumeListPruneInspect(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	wantOut(t, e, e.Run("volume", "ls"), "")
	wantOut(t, e, e.Run("volume", "ls", "--format", "table {{.Name}}"), "")
	wantOut(t, e, e.Run("volume", "ls", "--format", "json"), "[]\n")
	header := "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n"
	wantOut(t, e, e.RunStdin(strings.NewReader(""), "volume", "prune"), header+"No dangling volumes found\n")

	e.Must(t, "volume", "create", "audit-v1")
	wantOut(t, e, e.RunStdin(strings.NewReader("n\n"), "volume", "prune"),
		header+"audit-v1\nAre you sure you want to continue? [y/N] ")
	res := e.Run("volume", "inspect", "--format", "{{.Name}}", "audit-v1", "audit-nosuch")
	if res.Code != 125 || res.Stdout != "audit-v1\n" || !strings.Contains(res.Stderr, "audit-nosuch") {
		t.Errorf("volume inspect v1 nosuch: want exit 125 with audit-v1 printed, got %s", res)
	}
	wantOut(t, e, e.RunStdin(strings.NewReader("y\n"), "volume", "prune"),
		header+"audit-v1\nAre you sure you want to continue? [y/N] audit-v1\n")
}

// TestAuditUntagUnknownName: untag of a name the image does not have fails with
// podman's one line, "NAME: tag not known" (exit 125).
func TestAuditUntagUnknownName(t *testing.T) {
	e, img, _ := auditEngine(t)
	res := e.Run("untag", img.ID, "audit-other")
	wantError(t, e, res, 125, false)
	if want := "Error: localhost/audit-other:latest: tag not known\n"; res.Stderr != want {
		t.Errorf("untag ID audit-other: stderr %q, want %q", res.Stderr, want)
	}
}

// TestAuditPushDigestfile: `push --digestfile F` writes the digest of the manifest
// it pushed, as podman's (it was an unknown flag, exit 125); pulling by that
// digest gives the image back.
func TestAuditPushDigestfile(t *testing.T) {
	e, img, name := auditEngine(t)
	addr := testutil.StartRegistry(t, testutil.RegistryOptions{})
	file := filepath.Join(t.TempDir(), "digest")
	wantOut(t, e, e.Run("push", "-q", "--tls-verify=false", "--digestfile", file, name, addr+"/audit:1"), "")
	d, err := os.ReadFile(file)
	if err != nil || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).Match(d) {
		t.Fatalf("--digestfile holds %q (%v), want sha256:<64 hex>", d, err)
	}
	e.Must(t, "rmi", "-a", "-f")
	wantOut(t, e, e.Run("pull", "-q", "--tls-verify=false", addr+"/audit@"+string(d)), img.ID+"\n")
}

// TestAuditPullPlatform: `pull --platform/--arch/--os` pick an image of a manifest
// list, as podman's (the flags were unknown: exit 125).
func TestAuditPullPlatform(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	dir := filepath.Join(testutil.SharedDir(t), "multi")
	amd := busyboxTagged(t, dir, "amd")
	arm := busyboxTagged(t, dir, "arm")
	ref := "oci:" + dir + ":multi"
	writeIndex(t, dir, "multi", map[string]*testutil.Image{"amd64": amd, "arm64": arm})

	wantOut(t, e, e.Run("pull", "-q", "--platform", "linux/arm64", ref), arm.ID+"\n")
	wantOut(t, e, e.Run("pull", "-q", "--arch", "amd64", "--os", "linux", ref), amd.ID+"\n")
	wantError(t, e, e.Run("pull", "--platform", "linux/arm64", "--arch", "amd64", ref), 125, false, "--platform")
}

// busyboxTagged adds a busybox image tagged tag (and labelled with it, so that each
// tag is a different image) to the OCI layout in dir.
func busyboxTagged(t *testing.T, dir, tag string) *testutil.Image {
	t.Helper()
	img, err := testutil.WriteBusyboxImage(dir, testutil.ImageOptions{Tag: tag, Labels: map[string]string{"tag": tag}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeIndex adds to the layout in dir an image index tagged tag that lists each
// image's manifest for linux/ARCH.
func writeIndex(t *testing.T, dir, tag string, byArch map[string]*testutil.Image) {
	t.Helper()
	blob := func(d string) string { return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")) }
	type desc struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Platform    map[string]string `json:"platform,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	type index struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Manifests     []desc `json:"manifests"`
	}
	list := index{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
	for arch, img := range byArch {
		st, err := os.Stat(blob(img.ManifestDigest.String()))
		if err != nil {
			t.Fatal(err)
		}
		list.Manifests = append(list.Manifests, desc{MediaType: "application/vnd.oci.image.manifest.v1+json",
			Digest: img.ManifestDigest.String(), Size: st.Size(), Platform: map[string]string{"os": "linux", "architecture": arch}})
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	d := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
	if err := os.WriteFile(blob(d), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var top index
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil || json.Unmarshal(raw, &top) != nil {
		t.Fatalf("reading %s/index.json: %v", dir, err)
	}
	top.Manifests = append(top.Manifests, desc{MediaType: list.MediaType, Digest: d, Size: int64(len(b)),
		Annotations: map[string]string{"org.opencontainers.image.ref.name": tag}})
	if raw, err = json.Marshal(top); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAuditFilters: podman's until= for volume ls and volume prune (CI cleanup:
// `volume prune -f --filter until=24h`), and its images filters label!= and
// containers=; they were refused as unknown keys (exit 125).
func TestAuditFilters(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	img := busybox(t, testutil.ImageOptions{Labels: map[string]string{"audit": "yes"}})
	name := pull(t, e, img)
	e.Must(t, "volume", "create", "audit-v1")
	wantOut(t, e, e.Run("volume", "ls", "-q", "--filter", "until=1h"), "")
	wantOut(t, e, e.Run("volume", "ls", "-q", "--filter", "until=2100-01-01"), "audit-v1\n")
	wantOut(t, e, e.Run("volume", "prune", "-f", "--filter", "until=1h"), "")
	wantOut(t, e, e.Run("volume", "prune", "-f", "--filter", "until=-1s"), "audit-v1\n")
	wantError(t, e, e.Run("volume", "ls", "--filter", "until=notatime"), 125, false, "until")

	wantOut(t, e, e.Run("images", "--format", "{{.Repository}}", "--filter", "label!=audit"), "")
	wantOut(t, e, e.Run("images", "--format", "{{.Repository}}", "--filter", "label!=audit=no"), strings.TrimSuffix(name, ":latest")+"\n")
	wantOut(t, e, e.Run("images", "-q", "--filter", "containers=true"), "")
	wantOut(t, e, e.Run("images", "-q", "--filter", "containers=false"), img.ID[:12]+"\n")
}

// TestAuditPushFormat: `push --format v2s2|oci` pushes that manifest type (podman's
// flag for registries without OCI support), --compression-format picks the layer
// compression and --remove-signatures is accepted; all three were unknown flags.
func TestAuditPushFormat(t *testing.T) {
	e, _, name := auditEngine(t)
	addr := testutil.StartRegistry(t, testutil.RegistryOptions{})
	for format, want := range map[string]string{"v2s2": "application/vnd.docker.distribution.manifest.v2+json", "oci": "application/vnd.oci.image.manifest.v1+json"} {
		wantOut(t, e, e.Run("push", "-q", "--tls-verify=false", "--format", format, name, addr+"/audit:"+format), "")
		if got := registryManifest(t, addr, "audit", format)["mediaType"]; got != want {
			t.Errorf("push --format %s: registry has a manifest of type %v, want %s", format, got, want)
		}
	}
	wantOut(t, e, e.Run("push", "-q", "--tls-verify=false", "--compression-format", "zstd", "--remove-signatures", name, addr+"/audit:zstd"), "")
	layers, _ := registryManifest(t, addr, "audit", "zstd")["layers"].([]any)
	if len(layers) == 0 || !strings.HasSuffix(layers[0].(map[string]any)["mediaType"].(string), "+zstd") {
		t.Errorf("push --compression-format zstd: layers %v, want zstd media types", layers)
	}
	wantError(t, e, e.Run("push", "--tls-verify=false", "--format", "bogus", name, addr+"/audit:x"), 125, false, "bogus")
}

// registryManifest fetches repo:tag's manifest from the registry at addr.
func registryManifest(t *testing.T, addr, repo, tag string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("manifest %s:%s: %v", repo, tag, err)
	}
	return m
}

// TestAuditBuildPlatform: build takes --platform/--arch/--os naming the host's
// platform and --force-rm, as CI scripts pass them (unknown flags before, exit
// 125); another platform is one clear error, exit 125.
func TestAuditBuildPlatform(t *testing.T) {
	e, _, name := auditEngine(t)
	ctx := buildContext(t, e, "audit-platform", map[string]string{"Dockerfile": "FROM " + name + "\nLABEL a=b\n"})
	host := runtime.GOOS + "/" + runtime.GOARCH
	id := e.Must(t, "build", "-q", "--force-rm", "--platform", host, ctx)
	wantOut(t, e, e.Run("build", "-q", "--arch", runtime.GOARCH, "--os", runtime.GOOS, ctx), id+"\n")
	wantError(t, e, e.Run("build", "-q", "--platform", "linux/s390x", ctx), 125, false, "linux/s390x")
}

// TestAuditImagesSort: `images --sort` as podman's (an unknown flag before).
func TestAuditImagesSort(t *testing.T) {
	e, img, name := auditEngine(t) // name: localhost/tmp/..., after the audit-* names either way
	for _, n := range []string{"audit-b:1", "audit-c:0", "audit-a:2"} {
		e.Must(t, "tag", img.ID, n)
	}
	tmpl := "{{.Repository}}:{{.Tag}}"
	out := e.Must(t, "images", "--sort", "repository", "--format", tmpl, "--filter", "reference=audit-*")
	if want := "localhost/audit-a:2\nlocalhost/audit-b:1\nlocalhost/audit-c:0\n" + name; out != want {
		t.Errorf("images --sort repository:\n%s\nwant\n%s", out, want)
	}
	out = e.Must(t, "images", "--sort", "tag", "--format", tmpl, "--filter", "reference=audit-*")
	if want := "localhost/audit-c:0\nlocalhost/audit-b:1\nlocalhost/audit-a:2\n" + name; out != want {
		t.Errorf("images --sort tag:\n%s\nwant\n%s", out, want)
	}
	wantError(t, e, e.Run("images", "-q", "--sort", "bogus"), 125, false, "bogus")
}

// TestAuditBuildQuietStderr: `build -q` prints only the id on stdout but lets RUN's
// own stderr through, as podman's, so that a failing quiet build says why.
func TestAuditBuildQuietStderr(t *testing.T) {
	e, _, name := auditEngine(t)
	ctx := buildContext(t, e, "audit-quiet", map[string]string{"Dockerfile": "FROM " + name + "\nRUN echo to-out; echo to-err >&2; exit 3\n"})
	res := e.Run("build", "-q", ctx)
	if res.Code != 3 || res.Stdout != "" || !strings.Contains(res.Stderr, "to-err\n") || strings.Contains(res.Stderr, "to-out\n") {
		t.Errorf("build -q of a failing RUN: want exit 3, RUN's stderr on stderr and its stdout nowhere, got %s", res)
	}
}

// TestAuditChangeVolume: `--change 'VOLUME /data'` (commit, import) declares the
// one volume /data; it was read as a shell command and also declared the volumes
// "/bin/sh" and "-c", which every later run then mounted.
func TestAuditChangeVolume(t *testing.T) {
	e, _, name := auditEngine(t)
	t.Cleanup(func() { e.Run("rm", "-f", "audit-c") })
	e.Must(t, "create", "--name", "audit-c", name, "true")
	e.Must(t, "commit", "-q", "-c", "VOLUME /data", "-c", "ENTRYPOINT /bin/sh -c", "audit-c", "audit-vol1")
	wantOut(t, e, e.Run("image", "inspect", "--format", "{{json .Config.Volumes}}", "audit-vol1"), `{"/data":{}}`+"\n")
	e.Must(t, "commit", "-q", "-c", "VOLUME /a /b", "-c", `VOLUME ["/c"]`, "audit-c", "audit-vol2")
	wantOut(t, e, e.Run("image", "inspect", "--format", "{{json .Config.Volumes}}", "audit-vol2"), `{"/a":{},"/b":{},"/c":{}}`+"\n")
}

// TestAuditBuiltImageRoundTrip: an image built (or committed) here can be pushed
// and pulled back, or saved and loaded back, into the same store, as with podman.
// Layers made by build and commit had random ids, so containers/image made its own
// copies and then failed: "image with ID ... already exists, but uses a different
// top layer" (exit 125).
func TestAuditBuiltImageRoundTrip(t *testing.T) {
	e, _, name := auditEngine(t)
	t.Cleanup(func() { e.Run("rm", "-f", "audit-c") })
	addr := testutil.StartRegistry(t, testutil.RegistryOptions{})
	ctx := buildContext(t, e, "audit-roundtrip", map[string]string{"Dockerfile": "FROM " + name + "\nRUN echo one > /one\nRUN echo two > /two\n"})
	id := e.Must(t, "build", "-q", "-t", "audit-built", ctx)
	e.Must(t, "push", "-q", "--tls-verify=false", "audit-built", addr+"/audit-built:1")
	wantOut(t, e, e.Run("pull", "-q", "--tls-verify=false", addr+"/audit-built:1"), id+"\n")
	archive := filepath.Join(t.TempDir(), "built.tar")
	e.Must(t, "save", "-o", archive, "audit-built")
	wantOut(t, e, e.Run("load", "-q", "-i", archive), "Loaded image: localhost/audit-built:latest\n")

	e.Must(t, "run", "--name", "audit-c", name, "sh", "-c", "echo x > /x")
	cid := e.Must(t, "commit", "-q", "audit-c", "audit-committed")
	e.Must(t, "save", "-o", archive, "audit-committed")
	wantOut(t, e, e.Run("load", "-q", "-i", archive), "Loaded image: localhost/audit-committed:latest\n")
	if got := e.Must(t, "images", "-q", "--no-trunc", "audit-committed"); got != "sha256:"+cid {
		t.Errorf("after load: audit-committed is %s, want %s", got, cid)
	}
}

// TestAuditLoginGetLogin: `login --get-login REGISTRY` prints the stored user, or
// fails with podman's "not logged into REGISTRY" (an unknown flag before).
func TestAuditLoginGetLogin(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	addr := testutil.StartRegistry(t, testutil.RegistryOptions{User: "audit", Password: "pw-audit"})
	wantError(t, e, e.Run("login", "--get-login", addr), 125, false, "not logged into "+addr)
	e.MustStdin(t, strings.NewReader("pw-audit\n"), "login", "--tls-verify=false", "-u", "audit", "--password-stdin", addr)
	wantOut(t, e, e.Run("login", "--get-login", addr), "audit\n")
}

// TestAuditRmiInUse: rmi of an image a container uses exits 2 with podman's
// message; rmi -f removes the container with it.
func TestAuditRmiInUse(t *testing.T) {
	e, img, name := auditEngine(t)
	t.Cleanup(func() { e.Run("rm", "-f", "audit-c") })
	cid := e.Must(t, "create", "--name", "audit-c", name, "true")
	res := e.Run("rmi", name)
	wantError(t, e, res, 2, false)
	if want := "Error: image used by " + cid + ": image is in use by a container: consider listing external containers and force-removing image\n"; res.Stderr != want {
		t.Errorf("rmi of an image in use: stderr %q, want podman's %q", res.Stderr, want)
	}
	res = e.Run("rmi", "-f", name)
	if res.Code != 0 || !contains(sortedLines(res.Stdout), "Deleted: "+img.ID) {
		t.Errorf("rmi -f of an image in use: %s", res)
	}
	noContainers(t, e, "rmi -f")
}

// TestAuditRmiForceRunning: `rmi -f` of the image of a running container stops
// and removes the container as `rm -f` does, as podman's; it used to drop only
// the container's record and leave its process and monitor running.
func TestAuditRmiForceRunning(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, nil)
	name := ctrSetup(t, e) // with the leak check: no monitor or mount may remain
	runDetached(t, e, "--name", "audit-r", name, "sleep", "300")
	pid := inspectCtr(t, e, "audit-r").State.Pid
	if pid <= 0 {
		t.Fatalf("container audit-r has no pid")
	}
	e.Must(t, "rmi", "-f", name)
	noContainers(t, e, "rmi -f")
	if !waitGone(pid, 5*time.Second) {
		t.Errorf("rmi -f: the container's process %d still runs", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
