package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// tarEntries reads the entry names of a tarball, and the content of the small JSON
// files among them.
func tarEntries(t *testing.T, r io.Reader) (names []string, files map[string][]byte) {
	t.Helper()
	files = map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading archive: %v", err)
		}
		names = append(names, hdr.Name)
		if strings.HasSuffix(hdr.Name, ".json") || hdr.Name == "oci-layout" {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[hdr.Name] = data
		}
	}
	return names, files
}

// checkArchive checks that an archive is in format and names the image wantID with
// the tags wantTags.
func checkArchive(t *testing.T, mode string, r io.Reader, format, wantID string, wantTags []string) {
	t.Helper()
	names, files := tarEntries(t, r)
	switch format {
	case "oci-archive":
		if _, ok := files["oci-layout"]; !ok {
			t.Errorf("[%s] oci-archive lacks oci-layout; entries %q", mode, names)
		}
		if _, ok := files["index.json"]; !ok {
			t.Errorf("[%s] oci-archive lacks index.json; entries %q", mode, names)
		}
		if !slices.Contains(names, "blobs/sha256/"+wantID) {
			t.Errorf("[%s] oci-archive lacks the config blob %s; entries %q", mode, wantID, names)
		}
	default:
		var manifest []struct {
			Config   string
			RepoTags []string
			Layers   []string
		}
		if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
			t.Fatalf("[%s] docker-archive manifest.json: %v; entries %q", mode, err, names)
		}
		if len(manifest) != 1 || !strings.HasPrefix(manifest[0].Config, wantID) ||
			!reflect.DeepEqual(manifest[0].RepoTags, wantTags) {
			t.Errorf("[%s] docker-archive manifest.json %+v, want config %s.json and RepoTags %q", mode, manifest, wantID, wantTags)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := busybox(t, testutil.ImageOptions{ExtraLayers: 1, ExtraLayerBytes: 2048, Seed: 21})
		name := pull(t, e, img)
		loaded := "Loaded image: " + name

		tests := []struct {
			name   string
			format string // --format; "" for the default (docker-archive)
		}{
			{"default", ""},
			{"docker-archive", "docker-archive"},
			{"oci-archive", "oci-archive"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				file := filepath.Join(e.Home, tc.name+".tar")
				args := []string{"save", "-o", file}
				if tc.format != "" {
					args = append(args, "--format", tc.format)
				}
				e.Must(t, append(args, name)...)
				f, err := os.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				checkArchive(t, e.Mode(), f, tc.format, img.ID, []string{name})
				f.Close()

				for _, via := range []string{"-i", "stdin"} {
					e.Must(t, "rmi", "-a", "-f")
					var res testutil.Result
					if via == "-i" {
						res = e.Run("load", "-i", file)
					} else {
						data, err := os.ReadFile(file)
						if err != nil {
							t.Fatal(err)
						}
						res = e.RunStdin(bytes.NewReader(data), "load")
					}
					if res.Code != 0 {
						t.Fatalf("[%s] load via %s: %s", e.Mode(), via, res)
					}
					if !contains(strings.Split(res.Stdout, "\n"), loaded) {
						t.Errorf("[%s] load via %s printed %q, want %q", e.Mode(), via, res.Stdout, loaded)
					}
					if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
						t.Errorf("[%s] after load via %s: ids %q, want [%s]", e.Mode(), via, got, img.ID)
					}
					if got := names(t, e); !reflect.DeepEqual(got, []string{name}) {
						t.Errorf("[%s] after load via %s: names %q, want [%s]", e.Mode(), via, got, name)
					}
				}
			})
		}

		t.Run("stdout", func(t *testing.T) {
			res := e.Run("save", name)
			if res.Code != 0 {
				t.Fatalf("[%s] %s", e.Mode(), res)
			}
			checkArchive(t, e.Mode(), strings.NewReader(res.Stdout), "", img.ID, []string{name})
		})

		// An archive built by the test itself, not by the engine.
		t.Run("foreign docker-archive", func(t *testing.T) {
			file := filepath.Join(e.Home, "foreign.tar")
			if err := testutil.WriteDockerArchive(img, file, []string{"localhost/foreign:1"}); err != nil {
				t.Fatal(err)
			}
			e.Must(t, "rmi", "-a", "-f")
			out := e.Must(t, "load", "-i", file)
			if !strings.Contains(out, "Loaded image: localhost/foreign:1") {
				t.Errorf("[%s] load printed %q, want Loaded image: localhost/foreign:1", e.Mode(), out)
			}
			if got := inspect(t, e, "localhost/foreign:1"); got.ID != img.ID {
				t.Errorf("[%s] loaded image id %s, want %s", e.Mode(), got.ID, img.ID)
			}
		})
	})
}

// TestSaveLoadMultiImage saves two images into one docker-archive (podman needs
// --multi-image-archive for that) and loads both back.
func TestSaveLoadMultiImage(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		a := busybox(t, testutil.ImageOptions{Labels: map[string]string{"image": "a"}})
		b := busybox(t, testutil.ImageOptions{Labels: map[string]string{"image": "b"}})
		nameA, nameB := pull(t, e, a), pull(t, e, b)
		file := filepath.Join(e.Home, "two.tar")
		e.Must(t, "save", "-m", "-o", file, nameA, nameB)

		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		_, files := tarEntries(t, f)
		f.Close()
		var manifest []struct{ RepoTags []string }
		if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
			t.Fatalf("[%s] manifest.json: %v", e.Mode(), err)
		}
		if len(manifest) != 2 {
			t.Errorf("[%s] manifest.json has %d images, want 2: %+v", e.Mode(), len(manifest), manifest)
		}

		e.Must(t, "rmi", "-a", "-f")
		out := e.Must(t, "load", "-i", file)
		for _, n := range []string{nameA, nameB} {
			if !strings.Contains(out, "Loaded image: "+n) {
				t.Errorf("[%s] load printed %q, want a line for %s", e.Mode(), out, n)
			}
		}
		want := []string{a.ID, b.ID}
		sort.Strings(want)
		if got := ids(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] after load: ids %q, want %q", e.Mode(), got, want)
		}
		want = []string{nameA, nameB}
		sort.Strings(want)
		if got := names(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] after load: names %q, want %q", e.Mode(), got, want)
		}
	})
}

var importedID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func TestImport(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		rootfs := filepath.Join(e.Home, "rootfs.tar")
		if err := testutil.BusyboxRootfsTarball(rootfs); err != nil {
			t.Fatal(err)
		}
		out := e.Must(t, "import", rootfs, "localhost/imported:v1")
		lines := strings.Split(out, "\n")
		id := lines[len(lines)-1]
		if !importedID.MatchString(id) {
			t.Fatalf("[%s] import printed %q, want sha256:<id> as the last line", e.Mode(), out)
		}
		if got := names(t, e); !reflect.DeepEqual(got, []string{"localhost/imported:v1"}) {
			t.Errorf("[%s] after import: names %q, want [localhost/imported:v1]", e.Mode(), got)
		}
		insp := inspect(t, e, "localhost/imported:v1")
		if "sha256:"+insp.ID != id {
			t.Errorf("[%s] imported image has id %s, import printed %s", e.Mode(), insp.ID, id)
		}
		if len(insp.RootFS.Layers) != 1 || insp.Os != "linux" || insp.Architecture != "amd64" {
			t.Errorf("[%s] imported image: RootFS %+v, %s/%s; want one layer, linux/amd64", e.Mode(), insp.RootFS, insp.Os, insp.Architecture)
		}

		// -c keeps the commas of an exec-form instruction.
		e.Must(t, "import", "-c", `CMD ["sh","-c","echo a,b"]`, "-c", "ENV A=1,2", rootfs, "localhost/imported:cmd")
		if got := e.Must(t, "image", "inspect", "--format", "{{json .Config.Cmd}} {{json .Config.Env}}", "localhost/imported:cmd"); !strings.Contains(got, `["sh","-c","echo a,b"]`) || !strings.Contains(got, `"A=1,2"`) {
			t.Errorf("[%s] import -c: config %s", e.Mode(), got)
		}
		e.Must(t, "rmi", "localhost/imported:cmd")

		// From stdin, with "-".
		data, err := os.ReadFile(rootfs)
		if err != nil {
			t.Fatal(err)
		}
		if res := e.RunStdin(bytes.NewReader(data), "import", "-", "localhost/fromstdin"); res.Code != 0 {
			t.Errorf("[%s] %s", e.Mode(), res)
		}
		// Without a name: a dangling image.
		small := filepath.Join(e.Home, "small.tar")
		if err := testutil.Tarball(small, []testutil.TarEntry{{Name: "hello", Data: []byte("hi\n")}}); err != nil {
			t.Fatal(err)
		}
		e.Must(t, "import", small)
		want := []string{"<none>:<none>", "localhost/fromstdin:latest", "localhost/imported:v1"}
		if got := names(t, e, "-a"); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] after three imports: names %q, want %q", e.Mode(), got, want)
		}
		wantError(t, e, e.Run("import", filepath.Join(e.Home, "nosuch.tar")), 125, false, "nosuch.tar")
	})
}
