package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// badArchives writes broken archives for load and returns their paths by name. They
// hold an image whose last layer is not in the store yet (the base layer is), so that
// the engine really reads the broken layer instead of reusing a stored one.
func badArchives(t *testing.T, dir string) map[string]string {
	t.Helper()
	img := busybox(t, testutil.ImageOptions{ExtraLayers: 1, ExtraLayerBytes: 256 << 10, Seed: 99,
		Labels: map[string]string{"bad": "archive"}})
	good := filepath.Join(dir, "good.tar")
	if err := testutil.WriteDockerArchive(img, good, []string{"localhost/bad/load:1"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"good.tar": good}
	write := func(name string, content []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	write("empty.tar", nil)
	garbage := make([]byte, 64<<10)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(garbage)
	write("garbage.tar", garbage)
	write("text.tar", []byte("this is not an image archive\n"))
	// The new layer comes last (manifest.json first): cut in its middle.
	write("truncated.tar", data[:len(data)-(128<<10)])
	write("corrupt-layer.tar", corruptEntry(t, data, img.DiffIDs[1].Encoded()+".tar"))
	return out
}

// corruptEntry flips one byte in the middle of the named entry of a tarball, keeping
// the tar structure valid: only that entry's digest is wrong.
func corruptEntry(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	var out bytes.Buffer
	tr := tar.NewReader(bytes.NewReader(archive))
	tw := tar.NewWriter(&out)
	found := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == name {
			data[len(data)/2] ^= 0xff
			found = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("archive has no entry %s", name)
	}
	return out.Bytes()
}

// TestBadInput: each bad request fails with the right code and one error line, and
// leaves the store exactly as it was.
func TestBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := busybox(t, testutil.ImageOptions{})
		pull(t, e, img) // a non-empty store is a better witness
		authAddr := testutil.StartRegistry(t, testutil.RegistryOptions{User: "bob", Password: "right"})
		e.Must(t, "push", "--tls-verify=false", "--creds", "bob:right", img.ID, authAddr+"/busybox:1")
		down := testutil.FreeAddr(t)
		archives := badArchives(t, e.Home)

		tests := []struct {
			name       string
			args       []string
			stdin      string // path of a file for stdin
			code       int
			allowRetry bool
			wants      []string // the error line names one of these
		}{
			{name: "uppercase reference", args: []string{"pull", "UPPER/case"}, code: 125,
				wants: []string{"UPPER/case", "invalid reference format", "lowercase"}},
			{name: "double colon", args: []string{"pull", "a::b"}, code: 125,
				wants: []string{"a::b", "invalid reference format"}},
			{name: "unknown transport", args: []string{"pull", "foo://bar"}, code: 125,
				wants: []string{"foo://bar", "invalid reference format", "transport"}},
			{name: "missing oci layout", args: []string{"pull", "oci:" + filepath.Join(e.Home, "nolayout")}, code: 125,
				wants: []string{"nolayout"}},
			{name: "rmi missing", args: []string{"rmi", "nosuch"}, code: 1, wants: []string{"nosuch"}},
			{name: "inspect missing", args: []string{"image", "inspect", "nosuch"}, code: 125, wants: []string{"nosuch"}},
			{name: "history missing", args: []string{"history", "nosuch"}, code: 125, wants: []string{"nosuch"}},
			{name: "tag missing", args: []string{"tag", "nosuch", "x:1"}, code: 125, wants: []string{"nosuch"}},
			{name: "save missing", args: []string{"save", "-o", filepath.Join(e.Home, "nosuch-save.tar"), "nosuch"},
				code: 125, wants: []string{"nosuch"}},
			{name: "push missing", args: []string{"push", "--tls-verify=false", "nosuch", authAddr + "/nosuch:1"},
				code: 125, wants: []string{"nosuch"}},
			{name: "load missing file", args: []string{"load", "-i", filepath.Join(e.Home, "missing.tar")}, code: 125,
				wants: []string{"missing.tar"}},
			{name: "load empty file", args: []string{"load", "-i", archives["empty.tar"]}, code: 125},
			{name: "load garbage", args: []string{"load", "-i", archives["garbage.tar"]}, code: 125},
			{name: "load text", args: []string{"load", "-i", archives["text.tar"]}, code: 125},
			{name: "load truncated", args: []string{"load", "-i", archives["truncated.tar"]}, code: 125,
				wants: []string{"unexpected EOF", "truncated", "short", "EOF"}},
			{name: "load truncated from stdin", args: []string{"load"}, stdin: archives["truncated.tar"], code: 125,
				wants: []string{"unexpected EOF", "truncated", "short", "EOF"}},
			{name: "load corrupt layer", args: []string{"load", "-i", archives["corrupt-layer.tar"]}, code: 125,
				wants: []string{"digest"}},
			{name: "load garbage from stdin", args: []string{"load"}, stdin: archives["garbage.tar"], code: 125},
			{name: "registry down", args: []string{"pull", "--tls-verify=false", down + "/busybox:1"}, code: 125,
				allowRetry: true, wants: []string{"connection refused", down}},
			{name: "push to registry down", args: []string{"push", "--tls-verify=false", img.ID, down + "/busybox:1"},
				code: 125, allowRetry: true, wants: []string{"connection refused", down}},
			{name: "no credentials", args: []string{"pull", "--tls-verify=false", authAddr + "/busybox:1"}, code: 125,
				wants: []string{"unauthorized", "authentication required"}},
			{name: "wrong credentials", args: []string{"pull", "--tls-verify=false", "--creds", "bob:wrong", authAddr + "/busybox:1"},
				code: 125, wants: []string{"unauthorized", "authentication required", "invalid username/password"}},
			{name: "missing tag in registry", args: []string{"pull", "--tls-verify=false", "--creds", "bob:right", authAddr + "/busybox:nope"},
				code: 125, wants: []string{"manifest unknown", "not found", "nope"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, e)
				var res testutil.Result
				if tc.stdin != "" {
					f, err := os.Open(tc.stdin)
					if err != nil {
						t.Fatal(err)
					}
					res = e.RunStdin(f, tc.args...)
					f.Close()
				} else {
					res = e.Run(tc.args...)
				}
				wantError(t, e, res, tc.code, tc.allowRetry, tc.wants...)
				if strings.Contains(res.Stderr, "panic:") || strings.Contains(res.Stderr, "goroutine ") {
					t.Errorf("[%s] %s panicked:\n%s", e.Mode(), res.Cmd, res.Stderr)
				}
				wantUnchanged(t, e, before, res.Cmd)
			})
		}
		// The control: the intact archive the broken ones come from loads.
		if out := e.Must(t, "load", "-i", archives["good.tar"]); !strings.Contains(out, "localhost/bad/load:1") {
			t.Errorf("[%s] load of the intact archive printed %q, want localhost/bad/load:1", e.Mode(), out)
		}
		if _, err := os.Stat(filepath.Join(e.Home, "nosuch-save.tar")); err == nil {
			t.Errorf("[%s] save of a missing image left its output file behind", e.Mode())
		}
	})
}

// TestImportHostileTarball imports rootfs tarballs whose entries try to reach outside
// the layer. Writing through a symlink or hard link that points outside fails, as in
// podman. ".." and absolute names: podman confines them to the layer and succeeds;
// refusing them is accepted too (code either), but then as a clean failure. Either
// way nothing ever appears outside the store.
func TestImportHostileTarball(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		// The victim directory is writable by everyone, so that an escape by the
		// rootless engine would succeed too and be seen.
		victim := filepath.Join(e.Base, "victim")
		if err := os.Mkdir(victim, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(victim, 0o777); err != nil {
			t.Fatal(err)
		}
		secret := filepath.Join(victim, "secret")
		if err := os.WriteFile(secret, []byte("host secret\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		up := strings.Repeat("../", 24)
		const either = -1 // podman's success, or a clean refusal
		file := func(name string) testutil.TarEntry {
			return testutil.TarEntry{Name: name, Data: []byte("escaped\n")}
		}
		tests := []struct {
			name    string
			entries []testutil.TarEntry
			code    int
			wants   []string
		}{
			{name: "dotdot", code: either, wants: []string{"dotdot", ".."},
				entries: []testutil.TarEntry{file("ok"), file(up + victim[1:] + "/dotdot")}},
			{name: "absolute", code: either, wants: []string{"absolute"},
				entries: []testutil.TarEntry{file("ok"), file(victim + "/absolute")}},
			{name: "symlink outside, not followed", code: 0, entries: []testutil.TarEntry{
				{Name: "link", Type: tar.TypeSymlink, Linkname: victim}}},
			{name: "through absolute symlink", code: 125, wants: []string{"link/evil", "symlink", "outside", "escape"},
				entries: []testutil.TarEntry{{Name: "link", Type: tar.TypeSymlink, Linkname: victim}, file("link/evil")}},
			{name: "through relative symlink", code: 125, wants: []string{"link/evil", "symlink", "outside", "escape"},
				entries: []testutil.TarEntry{{Name: "link", Type: tar.TypeSymlink, Linkname: up + victim[1:]}, file("link/evil")}},
			{name: "hard link outside", code: 125, wants: []string{"hl", "link", "outside", "escape"},
				entries: []testutil.TarEntry{{Name: "hl", Type: tar.TypeLink, Linkname: secret}}},
			{name: "hard link dotdot", code: 125, wants: []string{"hl", "link", "outside", "escape"},
				entries: []testutil.TarEntry{{Name: "hl", Type: tar.TypeLink, Linkname: up + secret[1:]}}},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tarball := filepath.Join(e.Home, strings.ReplaceAll(tc.name, " ", "-")+".tar")
				if err := testutil.Tarball(tarball, tc.entries); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, e)
				name := "localhost/hostile" + string(rune('a'+i))
				res := e.Run("import", tarball, name)
				code := tc.code
				if code == either {
					code = 0
					if res.Code != 0 {
						code = 125
						t.Logf("[%s] %s: refused (podman accepts and confines): %s", e.Mode(), tc.name, strings.TrimSpace(res.Stderr))
					}
				}
				if code == 0 {
					if res.Code != 0 {
						t.Errorf("[%s] %s: want success as podman (entries confined to the layer)\n%s", e.Mode(), tc.name, res)
					} else if insp := inspect(t, e, name); len(insp.RootFS.Layers) != 1 {
						t.Errorf("[%s] %s: imported image has layers %q", e.Mode(), tc.name, insp.RootFS.Layers)
					}
				} else {
					wantError(t, e, res, code, false, tc.wants...)
					wantUnchanged(t, e, before, res.Cmd)
				}
				if left := dirNames(t, victim); len(left) != 1 || left[0] != "secret" {
					t.Errorf("[%s] %s: files escaped into %s: %q", e.Mode(), tc.name, victim, left)
				}
				var st syscall.Stat_t
				if err := syscall.Stat(secret, &st); err != nil || st.Nlink != 1 {
					t.Errorf("[%s] %s: %s has %d links (err %v): hard-linked from the store", e.Mode(), tc.name, secret, st.Nlink, err)
				}
				if data, _ := os.ReadFile(secret); string(data) != "host secret\n" {
					t.Errorf("[%s] %s: %s was overwritten: %q", e.Mode(), tc.name, secret, data)
				}
			})
		}
	})
}
