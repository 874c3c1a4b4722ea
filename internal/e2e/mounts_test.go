package e2e

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/testutil"
)

// userDir makes a directory in the test's HOME owned by the engine's user, with
// one file "hello".
func userDir(t *testing.T, e *testutil.Engine, name string) string {
	t.Helper()
	dir := filepath.Join(e.Home, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	userFile(t, e, filepath.Join(name, "hello"), "hi from the host\n")
	if e.User != nil {
		if err := os.Chown(dir, int(e.User.UID), int(e.User.GID)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantFail checks that res failed with code and that stderr says want.
func wantFail(t *testing.T, e *testutil.Engine, res testutil.Result, code int, want string) {
	t.Helper()
	if res.Code != code || !strings.Contains(res.Stderr+res.Stdout, want) {
		t.Errorf("[%s] %s: want exit %d and %q in the output\ngot: %s", e.Mode(), res.Cmd, code, want, res)
	}
}

func TestMountsBind(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		dir := userDir(t, e, "share")
		wantOut(t, e, e.Run("run", "--rm", "-v", dir+":/data", img, "cat", "/data/hello"), "hi from the host\n")
		e.Must(t, "run", "--rm", "-v", dir+":/data:rw,z", img, "sh", "-c", "echo written > /data/new")
		if b, err := os.ReadFile(filepath.Join(dir, "new")); err != nil || string(b) != "written\n" {
			t.Errorf("[%s] write through the bind mount: %q, %v", e.Mode(), b, err)
		}
		for _, args := range [][]string{
			{"-v", dir + ":/data:ro"},
			{"-v", dir + ":/data:Z,ro"},
			{"--mount", "type=bind,src=" + dir + ",dst=/data,ro"},
			{"--mount", "type=bind,source=" + dir + ",target=/data,readonly=true"},
		} {
			res := e.Run(append(append([]string{"run", "--rm"}, args...), img, "sh", "-c", "cat /data/hello && touch /data/f")...)
			wantFail(t, e, res, 1, "Read-only file system")
			if !strings.Contains(res.Stdout, "hi from the host") {
				t.Errorf("[%s] %s: read-only mount not readable: %s", e.Mode(), res.Cmd, res)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "f")); err == nil {
			t.Errorf("[%s] a write to a read-only mount reached the host", e.Mode())
		}
		// A relative host path is taken from the working directory, as podman.
		res := e.Run("run", "--rm", "-v", "./share:/data:ro", img, "cat", "/data/hello")
		wantOut(t, e, res, "hi from the host\n")
	})
}

func TestMountsBindCreateAndPropagation(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		dir := userDir(t, e, "share")
		sharedMount(t, dir) // before the first engine command makes the user's namespaces
		img := ctrSetup(t, e)
		made := filepath.Join(e.Home, "made", "here")
		e.Must(t, "run", "--rm", "--mount", "type=bind,src="+made+",dst=/m,bind-create", img, "touch", "/m/x")
		if _, err := os.Stat(filepath.Join(made, "x")); err != nil {
			t.Errorf("[%s] bind-create: %v", e.Mode(), err)
		}
		// mountinfo's optional fields show the propagation: "master:N" for a slave.
		out := e.Must(t, "run", "--rm", "--mount", "type=bind,src="+dir+",dst=/m,bind-propagation=rslave", img,
			"grep", " /m ", "/proc/self/mountinfo")
		if !strings.Contains(out, "master:") {
			t.Errorf("[%s] bind-propagation=rslave: mountinfo line %q has no master:", e.Mode(), out)
		}
		out = e.Must(t, "run", "--rm", "-v", dir+":/m", img, "grep", " /m ", "/proc/self/mountinfo")
		if strings.Contains(out, "master:") || strings.Contains(out, "shared:") {
			t.Errorf("[%s] default propagation: want private, mountinfo line %q", e.Mode(), out)
		}
	})
}

// sharedMount bind-mounts dir onto itself as a shared mount (this machine's / is
// private, so propagation could not be seen otherwise) until the test ends.
func sharedMount(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mounting %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	if err := unix.Mount("", dir, "", unix.MS_SHARED, ""); err != nil {
		t.Fatalf("making %s shared: %v", dir, err)
	}
}

func TestMountsTmpfs(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		out := e.Must(t, "run", "--rm", "--tmpfs", "/t:size=1m,mode=700", "--mount", "type=tmpfs,dst=/t2,tmpfs-size=2m,tmpfs-mode=1770",
			img, "sh", "-c", "grep -E ' /t2? ' /proc/mounts; stat -c '%n %a' /t /t2; echo x > /t/f && echo x > /t2/f && echo wrote")
		for _, want := range []string{"tmpfs /t tmpfs", "size=1024k", "mode=700", "tmpfs /t2 tmpfs", "size=2048k", "mode=1770", "/t 700", "/t2 1770", "wrote"} {
			if !strings.Contains(out, want) {
				t.Errorf("[%s] tmpfs: output lacks %q:\n%s", e.Mode(), want, out)
			}
		}
		res := e.Run("run", "--rm", "--tmpfs", "/t:ro", img, "touch", "/t/f")
		wantFail(t, e, res, 1, "Read-only file system")
	})
}

func TestMountsReadOnlyRoot(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		res := e.Run("run", "--rm", "--read-only", img, "touch", "/etc/x")
		wantFail(t, e, res, 1, "Read-only file system")
		wantOut(t, e, e.Run("run", "--rm", "--read-only", img, "sh", "-c",
			"touch /tmp/a /var/tmp/b /run/c /dev/d /dev/shm/e && echo ok"), "ok\n")
		res = e.Run("run", "--rm", "--read-only", "--read-only-tmpfs=false", img, "touch", "/tmp/a")
		wantFail(t, e, res, 1, "Read-only file system")
		// A volume stays writable on a read-only root.
		wantOut(t, e, e.Run("run", "--rm", "--read-only", "-v", "/w", img, "sh", "-c", "touch /w/a && echo ok"), "ok\n")
	})
}

func TestMountsChownU(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		dir := userDir(t, e, "share")
		out := e.Must(t, "run", "--rm", "--user", "1000:1000", "-v", dir+":/data:U", img,
			"sh", "-c", "stat -c '%u:%g' /data /data/hello && echo mine > /data/byapp && echo ok")
		if out != "1000:1000\n1000:1000\nok" {
			t.Errorf("[%s] :U: got %q", e.Mode(), out)
		}
		// The directory now belongs to the container's 1000: its 1001 cannot write there.
		res := e.Run("run", "--rm", "--user", "1001:1001", "-v", dir+":/other", img, "touch", "/other/f")
		wantFail(t, e, res, 1, "Permission denied")
	})
}

// TestMountsRootlessCannotWriteRootFiles: a rootless container's root is the user,
// so a bind mount of a root-owned directory is read-only to it.
func TestMountsRootlessCannotWriteRootFiles(t *testing.T) {
	requireIntegration(t)
	t.Parallel()
	e := testutil.NewEngine(t, testutil.User(t))
	img := ctrSetup(t, e)
	dir := filepath.Join(testutil.SharedDir(t), "rootowned")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("root's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantOut(t, e, e.Run("run", "--rm", "-v", dir+":/r", img, "cat", "/r/f"), "root's\n")
	for _, cmd := range []string{"touch /r/new", "echo x >> /r/f", "chmod 777 /r"} {
		res := e.Run("run", "--rm", "-v", dir+":/r", img, "sh", "-c", cmd)
		if res.Code == 0 {
			t.Errorf("[%s] %q on a root-owned bind mount succeeded: %s", e.Mode(), cmd, res)
		}
	}
	res := e.Run("run", "--rm", "-v", dir+":/r:U", img, "true")
	if res.Code == 0 {
		t.Errorf("[%s] :U chowned a root-owned directory as rootless: %s", e.Mode(), res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "root's\n" {
		t.Errorf("root-owned file changed: %q", b)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("root-owned directory changed: %v %v", fi.Mode(), err)
	}
}

func TestMountsVolumesFrom(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		dir := userDir(t, e, "share")
		e.Must(t, "create", "--name", "src", "-v", "vf:/vol", "-v", dir+":/bind", "-v", "/anon", "--tmpfs", "/t", img, "true")
		e.Must(t, "run", "--rm", "--volumes-from", "src", img, "sh", "-c", "echo one > /vol/a && echo two > /anon/b")
		out := e.Must(t, "run", "--rm", "--volumes-from", "src:ro", img,
			"sh", "-c", "cat /vol/a /anon/b /bind/hello; grep -c ' /t ' /proc/mounts || true")
		if out != "one\ntwo\nhi from the host\n0" {
			t.Errorf("[%s] --volumes-from src:ro: got %q", e.Mode(), out)
		}
		res := e.Run("run", "--rm", "--volumes-from", "src:ro", img, "touch", "/vol/x")
		wantFail(t, e, res, 1, "Read-only file system")
		// The container's own mount at a destination wins over the copied one.
		wantOut(t, e, e.Run("run", "--rm", "--volumes-from", "src", "--tmpfs", "/vol", img, "ls", "/vol"), "")
		wantFail(t, e, e.Run("run", "--rm", "--volumes-from", "nosuch", img, "true"), 125, "nosuch")
		wantFail(t, e, e.Run("run", "--rm", "--volumes-from", "src:rx", img, "true"), 125, "rx")
	})
}

// TestMountsSymlinkEscape: symlinks in the image that point out of the rootfs
// must not make a mount, or the first-use copy of a volume, reach the host.
func TestMountsSymlinkEscape(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		ctrSetup(t, e)
		host := filepath.Join(e.Home, "hostdir")
		if err := os.Mkdir(host, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(host, "secret"), []byte("host secret\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		bindSrc := userDir(t, e, "bindsrc")
		img := mountImage(t, e, []layerEntry{
			{name: "abs", typ: tar.TypeSymlink, link: host},
			{name: "rel", typ: tar.TypeSymlink, link: "../../../../../../../../" + host},
			{name: "seed/", typ: tar.TypeDir},
			{name: "seed/file", data: "from the image\n"},
			{name: "seed/out", typ: tar.TypeSymlink, link: host},
			{name: "seed/outdir", typ: tar.TypeSymlink, link: "../../../../../../" + host + "/"},
		}, "/abs/vol")
		for _, args := range [][]string{
			{"-v", "esc1:/abs"}, {"-v", "esc2:/rel"}, {"--tmpfs", "/abs"}, {"--tmpfs", "/rel/sub"},
			{"-v", "/x1"}, {"-v", "/abs/deeper"}, {"-v", bindSrc + ":/abs"}, {"--mount", "type=bind,src=" + bindSrc + ",dst=/rel/x"},
		} {
			res := e.Run(append(append([]string{"run", "--rm"}, args...), img, "sh", "-c", "touch /abs/planted /rel/planted /abs/vol/planted 2>/dev/null; ls /abs")...)
			if res.Code != 0 {
				t.Errorf("[%s] %s", e.Mode(), res)
			}
			ents, _ := os.ReadDir(host)
			if len(ents) != 1 || ents[0].Name() != "secret" {
				t.Fatalf("[%s] %s: the host directory %s changed: %v", e.Mode(), res.Cmd, host, ents)
			}
			if m, _ := testutil.MountsUnder(host); len(m) > 0 {
				t.Fatalf("[%s] %s: mounts on the host directory: %v", e.Mode(), res.Cmd, m)
			}
		}
		// The first-use copy resolves /seed inside the rootfs and copies symlinks as
		// symlinks; nothing of the host directory is read into the volume.
		out := e.Must(t, "run", "--rm", "-v", "seeded:/seed", img, "sh", "-c", "cat /seed/file; ls /seed")
		if out != "from the image\nfile\nout\noutdir" {
			t.Errorf("[%s] seeded volume: %q", e.Mode(), out)
		}
		data := filepath.Join(e.Root, "volumes", "seeded", "_data")
		for _, n := range []string{"out", "outdir"} {
			if fi, err := os.Lstat(filepath.Join(data, n)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("[%s] volume entry %s: want a symlink, got %v %v", e.Mode(), n, fi, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(data, "secret")); err == nil {
			t.Errorf("[%s] the host's secret was copied into the volume", e.Mode())
		}
		// A volume whose destination is a symlink to the host: the copy reads the
		// rootfs (where the target does not exist), never the host. (The image's
		// VOLUME /abs/vol gets its mount point made inside this volume.)
		e.Must(t, "run", "--rm", "-v", "viaabs:/abs", img, "true")
		if _, err := os.Lstat(filepath.Join(e.Root, "volumes", "viaabs", "_data", "secret")); err == nil {
			t.Errorf("[%s] volume at a symlink to the host got the host's files", e.Mode())
		}
	})
}

// TestMountsBadInput: every malformed mount option is one error line, exit 125,
// and leaves no container, no volume and no file in the store.
func TestMountsBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		dir := userDir(t, e, "share")
		e.Must(t, "create", "--name", "taken", img, "true")
		before := snapshot(t, e)
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"-v", "vol:data"}, "absolute"},
			{[]string{"-v", "data"}, "absolute"},
			{[]string{"-v", "a/b:/x"}, "a/b"},
			{[]string{"-v", "-bad:/x"}, "-bad"},
			{[]string{"-v", dir + ":/x:bogus"}, "bogus"},
			{[]string{"-v", dir + ":/x:ro,rw"}, "mutually exclusive"},
			{[]string{"-v", dir + ":/x:nocopy"}, "nocopy"},
			{[]string{"-v", dir + ":/x:ro:extra"}, "invalid volume specification"},
			{[]string{"-v", dir + ":/"}, "root"},
			{[]string{"-v", "/nonexistent-src:/x"}, "/nonexistent-src"},
			{[]string{"-v", "good:/x", "-v", dir + ":/x"}, "duplicate mount destination"},
			{[]string{"-v", "good:/x", "--tmpfs", "/x"}, "duplicate mount destination"},
			{[]string{"--mount", "type=foo,dst=/x"}, "foo"},
			{[]string{"--mount", "type=bind,src=" + dir}, "destination"},
			{[]string{"--mount", "type=bind,src=rel,dst=/x"}, "absolute"},
			{[]string{"--mount", "type=bind,src=" + dir + ",dst=/x,bind-propagation=sideways"}, "sideways"},
			{[]string{"--mount", "type=bind,src=" + dir + ",dst=/x,tmpfs-size=1m"}, "tmpfs-size"},
			{[]string{"--mount", "type=bind,src=" + dir + ",dst=/x,readonly=maybe"}, "maybe"},
			{[]string{"--mount", "type=volume,src=a/b,dst=/x"}, "a/b"},
			{[]string{"--mount", "type=tmpfs,src=x,dst=/x"}, "source"},
			{[]string{"--mount", "type=tmpfs,dst=/x,tmpfs-size=lots"}, "lots"},
			{[]string{"--mount", "type=tmpfs,dst=/x,tmpfs-mode=999"}, "999"},
			{[]string{"--tmpfs", "rel"}, "absolute"},
			{[]string{"--tmpfs", "/x:size=abc"}, "abc"},
			{[]string{"--tmpfs", "/x:bogus"}, "bogus"},
			{[]string{"--volumes-from", "nosuch"}, "nosuch"},
			// A later step fails: the volume named before it must not be made.
			{[]string{"--name", "taken", "-v", "late:/x"}, "in use"},
		}
		for _, c := range cases {
			res := e.Run(append(append([]string{"create"}, c.args...), img, "true")...)
			wantError(t, e, res, 125, false, c.want)
		}
		wantUnchanged(t, e, before, "bad mount options")
		if n := volumeNames(t, e); len(n) != 0 {
			t.Errorf("[%s] volumes after bad input: %q", e.Mode(), n)
		}
		if names := psNames(t, e, "-a"); len(names) != 1 {
			t.Errorf("[%s] containers after bad input: %q", e.Mode(), names)
		}
	})
}
