package e2e

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// volumeInfo is `volume inspect`'s record (podman's field names).
type volumeInfo struct {
	Name        string            `json:"Name"`
	Driver      string            `json:"Driver"`
	Mountpoint  string            `json:"Mountpoint"`
	CreatedAt   time.Time         `json:"CreatedAt"`
	Labels      map[string]string `json:"Labels"`
	Scope       string            `json:"Scope"`
	Options     map[string]string `json:"Options"`
	Anonymous   bool              `json:"Anonymous"`
	NeedsCopyUp bool              `json:"NeedsCopyUp"`
}

func inspectVolumes(t *testing.T, e *testutil.Engine, args ...string) []volumeInfo {
	t.Helper()
	out := e.Must(t, append([]string{"volume", "inspect"}, args...)...)
	var vs []volumeInfo
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("[%s] volume inspect %v: %v\n%s", e.Mode(), args, err, out)
	}
	return vs
}

// volumeNames lists `volume ls -q` with args, sorted.
func volumeNames(t *testing.T, e *testutil.Engine, args ...string) []string {
	t.Helper()
	return sortedLines(e.Must(t, append([]string{"volume", "ls", "-q"}, args...)...))
}

func wantNames(t *testing.T, e *testutil.Engine, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("[%s] %s: got %q, want %q", e.Mode(), what, got, want)
	}
}

func TestVolumeCreateInspectLs(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		wantOut(t, e, e.Run("volume", "create", "--label", "a=b", "--label", "c=d,e", "--opt", "o=uid=1000,gid=1000", "v1"), "v1\n")
		anon := e.Must(t, "volume", "create")
		if !hex64.MatchString(anon) {
			t.Errorf("[%s] volume create without a name printed %q, want 64 hex digits", e.Mode(), anon)
		}
		vs := inspectVolumes(t, e, "v1")
		v := vs[0]
		if len(vs) != 1 || v.Name != "v1" || v.Driver != "local" || v.Scope != "local" ||
			v.Mountpoint != filepath.Join(e.Root, "volumes", "v1", "_data") || v.Labels["a"] != "b" || v.Labels["c"] != "d,e" ||
			v.Options["o"] != "uid=1000,gid=1000" || time.Since(v.CreatedAt) > time.Minute || !v.NeedsCopyUp {
			t.Errorf("[%s] volume inspect v1: %+v", e.Mode(), vs)
		}
		if fi, err := os.Stat(v.Mountpoint); err != nil || !fi.IsDir() {
			t.Errorf("[%s] mountpoint %s: %v", e.Mode(), v.Mountpoint, err)
		}
		wantOut(t, e, e.Run("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Labels.a}}", "v1"), "v1 local b\n")
		wantNames(t, e, "volume ls -q", volumeNames(t, e), sortedLines(anon+"\nv1")...)
		out := e.Must(t, "volume", "ls")
		if !strings.HasPrefix(out, "DRIVER") || !strings.Contains(out, "VOLUME NAME") || !regexp.MustCompile(`(?m)^local +v1$`).MatchString(out) {
			t.Errorf("[%s] volume ls table:\n%s", e.Mode(), out)
		}
		wantOut(t, e, e.Run("volume", "ls", "--format", "{{.Name}}={{.Mountpoint}}", "--filter", "name=^v1$"),
			"v1="+v.Mountpoint+"\n")
		var list []volumeInfo
		if err := json.Unmarshal([]byte(e.Must(t, "volume", "ls", "--format", "json")), &list); err != nil || len(list) != 2 {
			t.Errorf("[%s] volume ls --format json: %v %v", e.Mode(), list, err)
		}
		wantNames(t, e, "filter label=a", volumeNames(t, e, "--filter", "label=a"), "v1")
		wantNames(t, e, "filter label=a=x", volumeNames(t, e, "--filter", "label=a=x"))
		wantNames(t, e, "filter name=v", volumeNames(t, e, "--filter", "name=v1", "--filter", "name=nomatch"), "v1")
		wantNames(t, e, "filter dangling=false", volumeNames(t, e, "--filter", "dangling=false"))
		wantOut(t, e, e.Run("volume", "exists", "v1"), "")
		res := e.Run("volume", "exists", "nope")
		if res.Code != 1 || res.Stderr != "" {
			t.Errorf("[%s] volume exists nope: %s", e.Mode(), res)
		}
		wantError(t, e, e.Run("volume", "create", "v1"), 125, false, "already exists")
		wantOut(t, e, e.Run("volume", "create", "--ignore", "v1"), "v1\n")
		wantError(t, e, e.Run("volume", "inspect", "nope"), 125, false, "no such volume")
	})
}

func TestVolumeBadInput(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		e.Must(t, "volume", "ls")
		before := snapshot(t, e)
		for _, args := range [][]string{
			{"volume", "create", "a/b"}, {"volume", "create", "../x"}, {"volume", "create", ".hidden"},
			{"volume", "create", "-bad"}, {"volume", "create", "--driver", "nfs", "x"},
			{"volume", "create", "--opt", "type=tmpfs", "x"}, {"volume", "create", "--opt", "o=size=1m", "x"},
			{"volume", "create", "a", "b"}, {"volume", "ls", "--filter", "bogus=1"},
			{"volume", "ls", "--filter", "dangling=maybe"},
		} {
			wantError(t, e, e.Run(args...), 125, false)
		}
		wantUnchanged(t, e, before, "bad volume commands")
		if n := volumeNames(t, e); len(n) != 0 {
			t.Errorf("[%s] volumes after bad input: %q", e.Mode(), n)
		}
	})
}

func TestVolumeRmPruneInUse(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "volume", "create", "used")
		e.Must(t, "volume", "create", "free")
		e.Must(t, "create", "--name", "c1", "-v", "used:/data", img, "true")
		wantError(t, e, e.Run("volume", "rm", "used"), 2, false, "is being used")
		runDetached(t, e, "--name", "running", "-v", "used:/data", img, "sleep", "60")
		wantOut(t, e, e.Run("volume", "inspect", "--format", "{{.MountCount}}", "used", "free"), "1\n0\n")
		e.Must(t, "rm", "-f", "running")
		wantError(t, e, e.Run("volume", "rm", "nope"), 1, false, "no such volume")
		wantOut(t, e, e.Run("volume", "rm", "-f", "nope"), "")
		wantNames(t, e, "dangling", volumeNames(t, e, "--filter", "dangling=true"), "free")
		wantNames(t, e, "not dangling", volumeNames(t, e, "--filter", "dangling=false"), "used")
		// Without -f, prune asks; no answer is no.
		res := e.RunStdin(strings.NewReader("n\n"), "volume", "prune")
		if res.Code != 0 || !strings.Contains(res.Stdout, "Are you sure") {
			t.Errorf("[%s] volume prune, answered n: %s", e.Mode(), res)
		}
		wantNames(t, e, "after a declined prune", volumeNames(t, e), "free", "used")
		wantOut(t, e, e.Run("volume", "prune", "-f"), "free\n")
		wantNames(t, e, "after prune", volumeNames(t, e), "used")
		// rm -f removes the containers that use the volume, as podman.
		wantOut(t, e, e.Run("volume", "rm", "-f", "used"), "used\n")
		noContainers(t, e, "volume rm -f")
		wantNames(t, e, "after rm -f", volumeNames(t, e))
		e.Must(t, "volume", "create", "a1")
		e.Must(t, "volume", "create", "a2")
		wantOut(t, e, e.Run("volume", "rm", "--all"), "a1\na2\n")
	})
}

// TestVolumeLifecycle: a named volume is made on first use, filled from the image,
// keeps its data across containers and outlives them; anonymous volumes go with
// rm -v and --rm, but not while another container shares them.
func TestVolumeLifecycle(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		ctrSetup(t, e)
		img := mountImage(t, e, []layerEntry{
			{name: "data/", typ: tar.TypeDir, mode: 0o750, uid: 1000, gid: 1000},
			{name: "data/seed", data: "seeded\n", uid: 1000, gid: 1000},
			{name: "data/sub/", typ: tar.TypeDir},
			{name: "data/sub/deep", data: "deep\n"},
			{name: "imgvol/", typ: tar.TypeDir},
			{name: "imgvol/from-image", data: "iv\n"},
		}, "/imgvol")
		out := e.Must(t, "run", "--name", "w1", "-v", "named:/data", img, "sh", "-c",
			"stat -c '%u:%g %a' /data; cat /data/seed /data/sub/deep /imgvol/from-image; echo persisted > /data/new")
		if out != "1000:1000 750\nseeded\ndeep\niv" {
			t.Errorf("[%s] first use of a named volume: %q", e.Mode(), out)
		}
		vols := volumeNames(t, e)
		if len(vols) != 2 || vols[1] != "named" || !hex64.MatchString(vols[0]) {
			t.Fatalf("[%s] volumes after run: %q, want one anonymous (image VOLUME) and named", e.Mode(), vols)
		}
		anon := vols[0]
		if v := inspectVolumes(t, e, anon)[0]; !v.Anonymous {
			t.Errorf("[%s] the image's VOLUME is not marked anonymous: %+v", e.Mode(), v)
		}
		wantNames(t, e, "anonymous=true", volumeNames(t, e, "--filter", "anonymous=true"), anon)
		// The container's inspect shows both mounts.
		mounts := e.Must(t, "inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}};{{end}}", "w1")
		if !strings.Contains(mounts, "volume named /data true;") || !strings.Contains(mounts, "volume "+anon+" /imgvol true;") {
			t.Errorf("[%s] inspect Mounts: %q", e.Mode(), mounts)
		}
		// Data survives rm of every user; the named volume stays even with rm -v.
		e.Must(t, "create", "--name", "sharer", "--volumes-from", "w1", img, "true")
		e.Must(t, "rm", "-v", "w1")
		wantNames(t, e, "after rm -v while shared", volumeNames(t, e), anon, "named")
		e.Must(t, "rm", "-v", "sharer")
		wantNames(t, e, "after rm -v of the last user", volumeNames(t, e), "named")
		out = e.Must(t, "run", "--rm", "-v", "named:/data", img, "cat", "/data/new", "/data/seed")
		if out != "persisted\nseeded" {
			t.Errorf("[%s] named volume after its containers were removed: %q", e.Mode(), out)
		}
		// An existing volume is not filled again.
		e.Must(t, "run", "--rm", "-v", "named:/data", img, "rm", "/data/seed")
		wantFail(t, e, e.Run("run", "--rm", "-v", "named:/data", img, "cat", "/data/seed"), 1, "No such file")
		// --rm and rm without -v.
		e.Must(t, "run", "--rm", "-v", "/scratch", img, "true")
		wantNames(t, e, "after run --rm", volumeNames(t, e), "named")
		e.Must(t, "run", "--name", "keep", "-v", "/scratch", img, "true")
		e.Must(t, "rm", "keep")
		if n := volumeNames(t, e, "--filter", "anonymous=true"); len(n) != 2 {
			t.Errorf("[%s] rm without -v: want the 2 anonymous volumes kept, got %q", e.Mode(), n)
		}
		// --image-volume: the image's VOLUME as a tmpfs, or not mounted at all.
		out = e.Must(t, "run", "--rm", "--image-volume", "tmpfs", img, "sh", "-c", "grep -c ' /imgvol tmpfs' /proc/mounts; ls /imgvol")
		if out != "1" {
			t.Errorf("[%s] --image-volume tmpfs: %q", e.Mode(), out)
		}
		wantOut(t, e, e.Run("run", "--rm", "--image-volume", "ignore", img, "cat", "/imgvol/from-image"), "iv\n")
		if n := volumeNames(t, e, "--filter", "anonymous=true"); len(n) != 2 {
			t.Errorf("[%s] --image-volume tmpfs/ignore made volumes: %q", e.Mode(), n)
		}
		wantError(t, e, e.Run("create", "--image-volume", "bogus", img), 125, false, "bogus")
		// nocopy: an empty volume.
		wantOut(t, e, e.Run("run", "--rm", "-v", "empty:/data:nocopy", img, "ls", "/data"), "")
		wantOut(t, e, e.Run("run", "--rm", "--mount", "type=volume,src=empty2,dst=/data,volume-nocopy", img, "ls", "/data"), "")
		// Creates and removals leave no half-made or half-removed directories.
		ents, _ := os.ReadDir(filepath.Join(e.Root, "volumes"))
		for _, en := range ents {
			if strings.HasPrefix(en.Name(), ".tmp-") || strings.HasPrefix(en.Name(), ".rm-") {
				t.Errorf("[%s] left in the volumes directory: %s", e.Mode(), en.Name())
			}
		}
	})
}

// TestVolumeConcurrentCreate: of racing creates of one name exactly one wins, and
// racing first uses of a new volume fill it once.
func TestVolumeConcurrentCreate(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		const n = 6
		var wg sync.WaitGroup
		results := make([]testutil.Result, n)
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = e.Run("volume", "create", "race") }()
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			if r.Code == 0 {
				ok++
			} else if !strings.Contains(r.Stderr, "already exists") {
				t.Errorf("[%s] racing create failed oddly: %s", e.Mode(), r)
			}
		}
		if ok != 1 {
			t.Errorf("[%s] %d of %d racing creates succeeded, want 1", e.Mode(), ok, n)
		}
		wantNames(t, e, "after the race", volumeNames(t, e), "race")
		ents, _ := os.ReadDir(filepath.Join(e.Root, "volumes"))
		var names []string
		for _, en := range ents {
			names = append(names, en.Name())
		}
		if fmt.Sprint(names) != "[.engine.lock race]" {
			t.Errorf("[%s] volumes directory after the race: %q", e.Mode(), names)
		}
	})
}

// TestVolumeConcurrentFirstUse: containers that start at once on a new volume all
// see it filled from the image, and it is filled once.
func TestVolumeConcurrentFirstUse(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		ctrSetup(t, e)
		img := mountImage(t, e, []layerEntry{
			{name: "data/", typ: tar.TypeDir},
			{name: "data/seed", data: "seeded\n"},
		})
		const n = 4
		var wg sync.WaitGroup
		results := make([]testutil.Result, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.Run("run", "--rm", "-v", "shared:/data", img, "sh", "-c", fmt.Sprintf("cat /data/seed && touch /data/c%d", i))
			}()
		}
		wg.Wait()
		for _, r := range results {
			wantOut(t, e, r, "seeded\n")
		}
		out := e.Must(t, "run", "--rm", "-v", "shared:/data", img, "ls", "/data")
		if out != "c0\nc1\nc2\nc3\nseed" {
			t.Errorf("[%s] volume after racing first uses: %q", e.Mode(), out)
		}
		wantNames(t, e, "volumes", volumeNames(t, e), "shared")
	})
}

func TestVolumeExportImport(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		e.Must(t, "run", "--rm", "-v", "src:/d", img, "sh", "-c", "mkdir /d/sub && echo a > /d/sub/a && ln -s /etc/passwd /d/link && chown 1000:1000 /d/sub/a")
		tarPath := filepath.Join(e.Home, "vol.tar")
		e.Must(t, "volume", "export", "-o", tarPath, "src")
		e.Must(t, "volume", "create", "dst")
		e.Must(t, "volume", "import", "dst", tarPath)
		out := e.Must(t, "run", "--rm", "-v", "dst:/d", img, "sh", "-c", "cat /d/sub/a; stat -c %u /d/sub/a; readlink /d/link")
		if out != "a\n1000\n/etc/passwd" {
			t.Errorf("[%s] imported volume: %q", e.Mode(), out)
		}
		// Through stdout and stdin too.
		res := e.Run("volume", "export", "src")
		if res.Code != 0 || len(res.Stdout) < 1024 {
			t.Errorf("[%s] volume export to stdout: %d bytes, %s", e.Mode(), len(res.Stdout), res.Stderr)
		}
		e.Must(t, "volume", "create", "dst2")
		e.MustStdin(t, strings.NewReader(res.Stdout), "volume", "import", "dst2", "-")
		wantOut(t, e, e.Run("run", "--rm", "-v", "dst2:/d", img, "cat", "/d/sub/a"), "a\n")
		wantError(t, e, e.Run("volume", "export", "-o", tarPath, "nope"), 125, false, "no such volume")
		wantError(t, e, e.Run("volume", "import", "nope", tarPath), 125, false, "no such volume")
	})
}
