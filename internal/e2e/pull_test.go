package e2e

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestPullOCILayoutAndList pulls from oci:DIR and oci:DIR:latest and checks every
// `images` output form.
func TestPullOCILayoutAndList(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		labels := map[string]string{"org.example.test": "pull"}
		img := busybox(t, testutil.ImageOptions{Labels: labels})
		tests := []struct{ name, ref string }{
			{"no tag", "oci:" + img.Dir},
			{"tag latest", img.Ref},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e.Must(t, "rmi", "-a", "-f")
				checkPullAndList(t, e, img, tc.ref, labels)
			})
		}
	})
}

var tableTail = regexp.MustCompile(`\s(\d+|About an?) \w+ ago\s+\d+(\.\d+)? [kMG]?B$`)

func checkPullAndList(t *testing.T, e *testutil.Engine, img *testutil.Image, ref string, labels map[string]string) {
	name := layoutName(img)
	res := e.Run("pull", ref)
	if res.Code != 0 {
		t.Fatalf("[%s] %s", e.Mode(), res)
	}
	// podman prints the image id, alone, as the last line of stdout.
	if lines := sortedLines(res.Stdout); len(lines) == 0 || !slices.Contains(lines, img.ID) {
		t.Errorf("[%s] pull stdout %q, want the image id %s on a line", e.Mode(), res.Stdout, img.ID)
	}

	if got := names(t, e); !reflect.DeepEqual(got, []string{name}) {
		t.Errorf("[%s] images names %q, want [%s]", e.Mode(), got, name)
	}
	if got := e.Must(t, "images", "-q"); got != img.ID[:12] {
		t.Errorf("[%s] images -q = %q, want %q", e.Mode(), got, img.ID[:12])
	}
	if got := e.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+img.ID {
		t.Errorf("[%s] images -q --no-trunc = %q, want %q", e.Mode(), got, "sha256:"+img.ID)
	}

	list := listImages(t, e)
	if len(list) != 1 {
		t.Fatalf("[%s] images --format json: %d entries, want 1: %+v", e.Mode(), len(list), list)
	}
	got := list[0]
	if got.ID != img.ID {
		t.Errorf("[%s] json Id %q, want %q", e.Mode(), got.ID, img.ID)
	}
	if !reflect.DeepEqual(got.Names, []string{name}) {
		t.Errorf("[%s] json Names %q, want [%s]", e.Mode(), got.Names, name)
	}
	// podman 4.3 leaves RepoTags null; podman 5 copies Names.
	if got.RepoTags != nil && !reflect.DeepEqual(got.RepoTags, got.Names) {
		t.Errorf("[%s] json RepoTags %q, want null or Names %q", e.Mode(), got.RepoTags, got.Names)
	}
	st, err := os.Stat(testutil.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size < st.Size() || got.Size > 2*st.Size() {
		t.Errorf("[%s] json Size %d, want about the busybox binary's %d bytes", e.Mode(), got.Size, st.Size())
	}
	if !reflect.DeepEqual(got.Labels, labels) {
		t.Errorf("[%s] json Labels %v, want %v", e.Mode(), got.Labels, labels)
	}
	if got.Digest != img.ManifestDigest.String() {
		t.Errorf("[%s] json Digest %q, want the manifest digest %q", e.Mode(), got.Digest, img.ManifestDigest)
	}
	if got.Created != 1704067200 {
		t.Errorf("[%s] json Created %d, want 1704067200 (the config's 2024-01-01)", e.Mode(), got.Created)
	}

	// The table: header, then one row per name.
	table := strings.Split(e.Must(t, "images"), "\n")
	if len(table) != 2 {
		t.Fatalf("[%s] images table has %d lines, want 2:\n%s", e.Mode(), len(table), strings.Join(table, "\n"))
	}
	if h := strings.Join(strings.Fields(table[0]), " "); h != "REPOSITORY TAG IMAGE ID CREATED SIZE" {
		t.Errorf("[%s] images header %q, want REPOSITORY TAG IMAGE ID CREATED SIZE", e.Mode(), h)
	}
	row := strings.Fields(table[1])
	if len(row) < 3 || row[0] != "localhost"+img.Dir || row[1] != "latest" || row[2] != img.ID[:12] {
		t.Errorf("[%s] images row %q, want localhost%s latest %s ...", e.Mode(), table[1], img.Dir, img.ID[:12])
	}
	// podman 4.3: CREATED "2 years ago", SIZE "2.02 MB" (a space before the unit).
	if !tableTail.MatchString(table[1]) {
		t.Errorf("[%s] images row %q, want it to end with CREATED and SIZE as podman prints them (… ago  2.02 MB)", e.Mode(), table[1])
	}
	if out := e.Must(t, "images", "--noheading"); strings.Contains(out, "REPOSITORY") || !strings.Contains(out, img.ID[:12]) {
		t.Errorf("[%s] images --noheading = %q", e.Mode(), out)
	}

	// Pulling again is a no-op that reports the same id.
	again := e.Must(t, "pull", ref)
	if !strings.HasSuffix(again, img.ID) {
		t.Errorf("[%s] second pull stdout %q, want it to end with %s", e.Mode(), again, img.ID)
	}
	if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
		t.Errorf("[%s] after second pull: ids %q, want [%s]", e.Mode(), got, img.ID)
	}
}

// TestPushPullRegistry pushes to a real registry and pulls the image back by
// docker:// reference and by plain name; the image id must survive the round trip.
func TestPushPullRegistry(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		addr := testutil.StartRegistry(t, testutil.RegistryOptions{})
		img := busybox(t, testutil.ImageOptions{ExtraLayers: 1, ExtraLayerBytes: 4096, Seed: 11})
		pull(t, e, img)

		e.Must(t, "push", "--tls-verify=false", img.ID, addr+"/busybox:1")
		e.Must(t, "tag", img.ID, "localhost/pushme:2")
		e.Must(t, "push", "--tls-verify=false", "localhost/pushme:2", addr+"/busybox:2")
		if got := registryTags(t, addr, "busybox", "", ""); !reflect.DeepEqual(got, []string{"1", "2"}) {
			t.Fatalf("[%s] registry has tags %q for busybox, want [1 2]", e.Mode(), got)
		}

		e.Must(t, "rmi", "-a", "-f")
		if got := ids(t, e); len(got) != 0 {
			t.Fatalf("[%s] images left after rmi -a -f: %q", e.Mode(), got)
		}
		tests := []struct{ name, ref, wantName string }{
			{"docker transport", "docker://" + addr + "/busybox:1", addr + "/busybox:1"},
			{"plain name", addr + "/busybox:1", addr + "/busybox:1"},
			{"plain name, second tag", addr + "/busybox:2", addr + "/busybox:2"},
		}
		for _, tc := range tests {
			out := e.Must(t, "pull", "--tls-verify=false", tc.ref)
			if !strings.HasSuffix(out, img.ID) {
				t.Errorf("[%s] %s: pull %s printed %q, want the id %s", e.Mode(), tc.name, tc.ref, out, img.ID)
			}
			if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
				t.Errorf("[%s] %s: ids %q, want [%s] (id changed in the round trip?)", e.Mode(), tc.name, got, img.ID)
			}
			if got := names(t, e); !reflect.DeepEqual(got, []string{tc.wantName}) {
				t.Errorf("[%s] %s: names %q, want [%s]", e.Mode(), tc.name, got, tc.wantName)
			}
			e.Must(t, "rmi", tc.wantName)
		}
	})
}
