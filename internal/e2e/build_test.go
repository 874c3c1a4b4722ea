package e2e

import (
	"archive/tar"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// buildContext writes files (relative name -> content) into a new context
// directory in the test's HOME, owned by the engine's user.
func buildContext(t *testing.T, e *testutil.Engine, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(e.Home, name)
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chownTree(t, e, dir)
	return dir
}

func chownTree(t *testing.T, e *testutil.Engine, dir string) {
	t.Helper()
	if e.User == nil {
		return
	}
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(e.User.UID), int(e.User.GID))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBuild builds a Dockerfile that uses every supported instruction, runs the
// image, then checks the cache: a rebuild runs no RUN and gives the same image,
// a changed COPY source re-runs the steps from there on, --no-cache runs all.
func TestBuild(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		dockerfile := "ARG BASE=" + bb + "\nFROM $BASE\n" + `ARG GREETING=hello
ENV APP=/app PATH=/usr/bin:/bin
RUN echo marker-first-run && echo "$GREETING" > /greeting
WORKDIR $APP
COPY file.txt data/
COPY dir ./dir/
COPY --chown=app:app file.txt /owned
COPY --chmod=700 dir /private/
ADD archive.tar /unpacked/
RUN echo marker-after-copy && cat data/file.txt dir/a > combined
USER app
LABEL team=build version="1.0"
EXPOSE 8080 53/udp
STOPSIGNAL SIGTERM
VOLUME /data
SHELL ["/bin/sh", "-c"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /greeting combined; pwd; id -u; echo $APP; stat -c %U /owned; ls /unpacked; ls dir"]
`
		ctx := buildContext(t, e, "ctx", map[string]string{
			"Dockerfile": dockerfile, "file.txt": "one\n", "dir/a": "a\n", "dir/secret": "no\n",
			".dockerignore": "dir/secret\n",
		})
		if err := testutil.Tarball(filepath.Join(ctx, "archive.tar"), []testutil.TarEntry{{Name: "x/", Type: tar.TypeDir}, {Name: "x/in-tar", Data: []byte("t")}}); err != nil {
			t.Fatal(err)
		}
		chownTree(t, e, ctx)
		res := e.Run("build", "-t", "built", "--build-arg", "GREETING=hi there", ctx)
		if res.Code != 0 || !hasLine(res.Stdout, "marker-first-run") || !hasLine(res.Stdout, "marker-after-copy") {
			t.Fatalf("[%s] first build: want both RUN markers in the output\n%s", e.Mode(), res)
		}
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		id := lines[len(lines)-1]
		// The step images are intermediate, not dangling, also the last one,
		// which config-only steps (USER ... CMD) follow.
		if out := e.Must(t, "images", "-q", "--filter", "dangling=true"); out != "" {
			t.Errorf("[%s] dangling images after a build:\n%s", e.Mode(), out)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "built"), "hi there\none\na\n/app\n1000\n/app\napp\nx\na\n")
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "-u", "0", "--entrypoint", "stat", "built", "-c", "%a %n", "/private/a"), "700 /private/a\n")
		d := inspectImage(t, e, "built")
		if d.ID != id || d.Config.Labels["team"] != "build" || d.Config.Labels["version"] != "1.0" || d.Config.StopSignal != "SIGTERM" {
			t.Errorf("[%s] built image: id %s (build printed %s), labels %v, stop signal %q", e.Mode(), d.ID, id, d.Config.Labels, d.Config.StopSignal)
		}
		if _, ok := d.Config.ExposedPorts["53/udp"]; !ok || d.Config.Volumes == nil || len(d.RootFS.Layers) != 8 {
			t.Errorf("[%s] built image: ports %v, volumes %v, %d layers (want 53/udp, /data, 8 layers: base, 2 RUN, 4 COPY, ADD)",
				e.Mode(), d.Config.ExposedPorts, d.Config.Volumes, len(d.RootFS.Layers))
		}
		if h := imageHistory(t, e, "built"); h[0].ID != id || !historyHas(h, "marker-first-run") || !historyHas(h, "LABEL team=build") {
			t.Errorf("[%s] history of the built image lacks its steps: %+v", e.Mode(), h)
		}

		// Fully cached: the same image, no RUN ran.
		res = e.Run("build", "-t", "built", "--build-arg", "GREETING=hi there", ctx)
		if res.Code != 0 || hasLine(res.Stdout, "marker-first-run") || hasLine(res.Stdout, "marker-after-copy") || !strings.HasSuffix(res.Stdout, id+"\n") {
			t.Errorf("[%s] cached rebuild: want no RUN output and id %s\n%s", e.Mode(), id, res)
		}
		// -q prints the id only.
		wantOut(t, e, e.Run("build", "-q", "-t", "built", "--build-arg", "GREETING=hi there", ctx), id+"\n")

		// A changed config-only tail: every layer step is cached, the label is new.
		if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile+"LABEL tail=2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res = e.Run("build", "-t", "built", "--build-arg", "GREETING=hi there", ctx)
		if res.Code != 0 || hasLine(res.Stdout, "marker-first-run") || hasLine(res.Stdout, "marker-after-copy") || strings.HasSuffix(res.Stdout, id+"\n") {
			t.Errorf("[%s] rebuild with a new LABEL at the end: want no RUN and a new id\n%s", e.Mode(), res)
		}
		if d := inspectImage(t, e, "built"); d.Config.Labels["tail"] != "2" || d.Config.Labels["team"] != "build" || d.Config.User != "app" {
			t.Errorf("[%s] image after a tail change: labels %v, user %q", e.Mode(), d.Config.Labels, d.Config.User)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "built"), "hi there\none\na\n/app\n1000\n/app\napp\nx\na\n")

		// A changed COPY source: the RUN before it is cached, the one after runs.
		if err := os.WriteFile(filepath.Join(ctx, "file.txt"), []byte("two\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res = e.Run("build", "-t", "built", "--build-arg", "GREETING=hi there", ctx)
		if res.Code != 0 || hasLine(res.Stdout, "marker-first-run") || !hasLine(res.Stdout, "marker-after-copy") {
			t.Errorf("[%s] rebuild after a COPY source changed: want only the second RUN to run\n%s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "--entrypoint", "cat", "built", "/app/combined"), "two\na\n")

		// --no-cache runs everything again.
		res = e.Run("build", "--no-cache", "-t", "built", "--build-arg", "GREETING=hi there", ctx)
		if res.Code != 0 || !hasLine(res.Stdout, "marker-first-run") {
			t.Errorf("[%s] --no-cache: want the RUN steps to run\n%s", e.Mode(), res)
		}
		noContainers(t, e, "builds")
		if m := storeMounts(t, e); len(m) > 0 {
			t.Errorf("[%s] mounts left after builds: %v", e.Mode(), m)
		}
	})
}

// hasLine tells whether out has a line that is exactly s (a RUN's output, not
// the STEP line that shows its command).
func hasLine(out, s string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l == s {
			return true
		}
	}
	return false
}

func historyHas(h []historyEntry, s string) bool {
	for _, x := range h {
		if strings.Contains(x.CreatedBy, s) {
			return true
		}
	}
	return false
}

// TestBuildRunMounts: RUN --mount=type=cache keeps its directory between
// builds, type=bind shows a context file, type=tmpfs a scratch directory; none
// of them ends up in the image, nor do secrets. RUN --network=none has only a
// loopback.
func TestBuildRunMounts(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		ctx := buildContext(t, e, "ctx", map[string]string{"file.txt": "from-context\n", "Dockerfile": "FROM " + bb + `
RUN --mount=type=cache,target=/var/cache/app echo run >> /var/cache/app/log && echo "cache-lines $(wc -l < /var/cache/app/log)"
RUN --mount=type=bind,source=file.txt,target=/in.txt --mount=type=tmpfs,target=/scratch cat /in.txt && touch /scratch/x
RUN --network=none echo "links $(ip -o link | wc -l)"
`})
		res := e.Run("build", "--no-cache", "-t", "mounts", ctx)
		if res.Code != 0 || !hasLine(res.Stdout, "cache-lines 1") || !hasLine(res.Stdout, "from-context") || !hasLine(res.Stdout, "links 1") {
			t.Fatalf("[%s] build with RUN mounts:\n%s", e.Mode(), res)
		}
		// build -v: every RUN sees the host directory; a cached rebuild runs none.
		hostDir := filepath.Join(e.Home, "host")
		if err := os.MkdirAll(hostDir, 0o777); err != nil {
			t.Fatal(err)
		}
		chownTree(t, e, hostDir)
		vctx := buildContext(t, e, "vctx", map[string]string{"Dockerfile": "FROM " + bb + "\nRUN echo ran >> /host/log\n"})
		for i := 0; i < 2; i++ {
			e.Must(t, "build", "-q", "-v", hostDir+":/host", "-t", "vol", vctx)
		}
		if data, err := os.ReadFile(filepath.Join(hostDir, "log")); err != nil || string(data) != "ran\n" {
			t.Errorf("[%s] build -v: the host file after a build and a cached rebuild: %q, %v (want one line)", e.Mode(), data, err)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "vol", "sh", "-c", "ls /host 2>/dev/null; echo done"), "done\n")
		if res := e.Run("build", "--no-cache", "-t", "mounts", ctx); !hasLine(res.Stdout, "cache-lines 2") {
			t.Errorf("[%s] the cache mount did not keep its content:\n%s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "mounts", "sh", "-c", "ls /var/cache/app /in.txt /scratch 2>/dev/null; echo done"), "done\n")
		secretCtx := buildContext(t, e, "secret", map[string]string{"Dockerfile": "FROM " + bb + `
RUN --mount=type=secret,id=tok echo "secret $(cat /run/secrets/tok)"
RUN --mount=type=secret,id=other,target=/s,required=true cat /s
`})
		secretFile := userFile(t, e, "tok.txt", "s3cr3t")
		res = e.Run("build", "--secret", "id=tok,src="+secretFile, "--secret", "id=other,src="+secretFile, "-t", "secrets", secretCtx)
		if res.Code != 0 || !hasLine(res.Stdout, "secret s3cr3t") {
			t.Errorf("[%s] build with secrets:\n%s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "secrets", "sh", "-c", "ls /run/secrets /s 2>/dev/null; echo done"), "done\n")
		wantError(t, e, e.Run("build", "-q", "--no-cache", "--secret", "id=tok,src="+secretFile, secretCtx), 125, false, "required")
		wantError(t, e, e.Run("build", "-q", buildContext(t, e, "ssh", map[string]string{"Dockerfile": "FROM " + bb + "\nRUN --mount=type=ssh true\n"})),
			125, false, "not supported")
		noContainers(t, e, "builds")
	})
}

// TestBuildAddURL: ADD of an http URL downloads the file (mode 0600, not
// unpacked); its content keys the cache; a failed download is one error line.
func TestBuildAddURL(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		var mu sync.Mutex
		content := "remote-one"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Path != "/files/remote.txt" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintln(w, content)
		}))
		defer srv.Close()
		ctx := buildContext(t, e, "ctx", map[string]string{"Dockerfile": "FROM " + bb + "\nADD " + srv.URL + "/files/remote.txt /r/\n" +
			"RUN echo \"mode $(stat -c %a /r/remote.txt)\"; cat /r/remote.txt\n"})
		res := e.Run("build", "-t", "added", ctx)
		if res.Code != 0 || !hasLine(res.Stdout, "mode 600") || !hasLine(res.Stdout, "remote-one") {
			t.Fatalf("[%s] ADD of a URL:\n%s", e.Mode(), res)
		}
		if res := e.Run("build", "-t", "added", ctx); res.Code != 0 || hasLine(res.Stdout, "remote-one") {
			t.Errorf("[%s] ADD of an unchanged URL: want the RUN cached\n%s", e.Mode(), res)
		}
		mu.Lock()
		content = "remote-two"
		mu.Unlock()
		if res := e.Run("build", "-t", "added", ctx); res.Code != 0 || !hasLine(res.Stdout, "remote-two") {
			t.Errorf("[%s] ADD of a changed URL: want the RUN to run again\n%s", e.Mode(), res)
		}
		bad := buildContext(t, e, "bad", map[string]string{"Dockerfile": "FROM " + bb + "\nADD " + srv.URL + "/missing /x\n"})
		wantError(t, e, e.Run("build", "-q", bad), 125, false, "404")
		noContainers(t, e, "builds")
	})
}

// TestBuildKilled: a build killed during a RUN leaves its container running
// (its monitor outlives the CLI); the next build that runs a container removes it.
func TestBuildKilled(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		slow := buildContext(t, e, "slow", map[string]string{"Dockerfile": "FROM " + bb + "\nRUN sleep 60\n"})
		cmd := command(context.Background(), e, "build", "-q", slow)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		running := func() bool { return len(psJSON(t, e, "-q")) == 1 }
		if !eventually(20*time.Second, running) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("[%s] the RUN container never ran", e.Mode())
		}
		// Only the CLI dies (not its process group): the monitor keeps the container.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if n := len(psJSON(t, e, "-a")); n != 1 {
			t.Fatalf("[%s] after killing the build: %d containers, want its RUN container", e.Mode(), n)
		}
		next := buildContext(t, e, "next", map[string]string{"Dockerfile": "FROM " + bb + "\nRUN true\n"})
		mustID(t, e, "build", "-q", next)
		noContainers(t, e, "the next build")
	})
}

// TestBuildHeredoc: RUN with here-documents, as BuildKit runs them.
func TestBuildHeredoc(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		df := strings.Join([]string{"FROM " + bb,
			"RUN <<XEOF", "echo first line", "echo second > /second", "XEOF",
			"RUN cat <<EOT > /greeting", "hello heredoc", "EOT",
			"RUN <<XEOF", "#!/bin/sh", "echo \"script $0\"", "XEOF", ""}, "\n")
		res := e.Run("build", "-t", "heredoc", buildContext(t, e, "ctx", map[string]string{"Dockerfile": df}))
		if res.Code != 0 || !hasLine(res.Stdout, "first line") || !hasLine(res.Stdout, "script /dev/pipes/XEOF") {
			t.Fatalf("[%s] build with here-documents:\n%s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "heredoc", "cat", "/second", "/greeting"), "second\nhello heredoc\n")
		noContainers(t, e, "builds")
	})
}

// TestBuildMultiStage copies from an earlier stage and builds a --target.
func TestBuildMultiStage(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		ctx := buildContext(t, e, "ctx", map[string]string{"Dockerfile": "FROM " + bb + ` AS builder
RUN echo artifact > /artifact
FROM ` + bb + `
COPY --from=builder /artifact /out/artifact
RUN cat /out/artifact
`})
		wantID := func(args ...string) string {
			return mustID(t, e, append([]string{"build", "-q"}, args...)...)
		}
		wantID("-t", "multi", ctx)
		wantOut(t, e, e.Run("run", "--rm", "--network", "none", "multi", "cat", "/out/artifact"), "artifact\n")
		wantID("--target", "builder", "-t", "first", ctx)
		if res := e.Run("run", "--rm", "--network", "none", "first", "test", "-e", "/out"); res.Code != 1 {
			t.Errorf("[%s] --target builder: the image has the later stage's /out: %s", e.Mode(), res)
		}
		// The last step was a RUN: no intermediate image shows without -a.
		if out := e.Must(t, "images", "-q", "--filter", "dangling=true"); out != "" {
			t.Errorf("[%s] dangling images after a multi-stage build:\n%s", e.Mode(), out)
		}
		noContainers(t, e, "builds")
	})
}

// TestBuildBadInput: one error line, podman's exit codes (a failing RUN's own
// code), no image, container or mount left.
func TestBuildBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		bb := ctrSetup(t, e)
		dir := func(name, dockerfile string, files map[string]string) string {
			if files == nil {
				files = map[string]string{}
			}
			files["Dockerfile"] = dockerfile
			return buildContext(t, e, name, files)
		}
		// The store's container records (and the runtime's files in the run root)
		// exist once a container has run: not a leftover of a failed build.
		e.Must(t, "run", "--rm", "--network", "none", bb, "true")
		e.Must(t, "create", "--name", "first", "--network", "none", bb, "true")
		e.Must(t, "rm", "first")
		before := snapshot(t, e)
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{dir("unknown", "FROM "+bb+"\nFOO bar\n", nil)}, 125, "unknown instruction"},
			{[]string{dir("syntax", "FROM "+bb+"\nENV\n", nil)}, 125, "ENV"},
			{[]string{dir("nofrom", "RUN true\n", nil)}, 125, "FROM"},
			{[]string{filepath.Join(e.Home, "missing")}, 125, "context"},
			{[]string{dir("escape", "FROM "+bb+"\nCOPY ../x /x\n", nil)}, 125, "outside"},
			{[]string{dir("nosrc", "FROM "+bb+"\nCOPY missing.txt /x\n", nil)}, 125, "missing.txt"},
			{[]string{dir("ignored", "FROM "+bb+"\nCOPY secret /x\n", map[string]string{"secret": "s", ".dockerignore": "secret\n"})}, 125, "dockerignore"},
			{[]string{dir("fail", "FROM "+bb+"\nRUN exit 3\n", nil)}, 3, "RUN exit 3"},
			{[]string{"--build-arg", "=x", dir("arg", "FROM "+bb+"\n", nil)}, 125, "build-arg"},
			{[]string{"--pull", "sometimes", dir("pull", "FROM "+bb+"\n", nil)}, 125, "pull"},
			{[]string{"-t", "BAD NAME", dir("tag", "FROM "+bb+"\n", nil)}, 125, "BAD NAME"},
			{[]string{dir("nobase", "FROM localhost/no/such:image\n", nil), "--pull", "never"}, 125, "no/such"},
		} {
			wantError(t, e, e.Run(append([]string{"build", "-q"}, tc.args...)...), tc.code, false, tc.want)
		}
		noContainers(t, e, "failed builds")
		if m := storeMounts(t, e); len(m) > 0 {
			t.Errorf("[%s] mounts left after failed builds: %v", e.Mode(), m)
		}
		wantUnchanged(t, e, before, "failed builds")
	})
}
