package e2e

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestTagUntag adds and removes names the way podman does.
func TestTagUntag(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := busybox(t, testutil.ImageOptions{})
		name := pull(t, e, img)

		if out := e.Must(t, "tag", img.ID, "a/b:c", "x/y"); out != "" {
			t.Errorf("[%s] tag printed %q, want nothing", e.Mode(), out)
		}
		want := []string{"localhost/a/b:c", name, "localhost/x/y:latest"}
		sort.Strings(want)
		if got := names(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] after tag: names %q, want %q", e.Mode(), got, want)
		}
		if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
			t.Errorf("[%s] after tag: ids %q, want one image %s", e.Mode(), got, img.ID)
		}
		// Tagging by a name works as by id.
		e.Must(t, "tag", "localhost/a/b:c", "by/name:1")
		insp := inspect(t, e, "by/name:1")
		if insp.ID != img.ID {
			t.Errorf("[%s] by/name:1 is %s, want %s", e.Mode(), insp.ID, img.ID)
		}

		// untag IMAGE NAME removes one name.
		e.Must(t, "untag", img.ID, "localhost/x/y:latest")
		e.Must(t, "untag", img.ID, "by/name:1")
		want = []string{"localhost/a/b:c", name}
		sort.Strings(want)
		if got := names(t, e); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] after untag of one name: names %q, want %q", e.Mode(), got, want)
		}
		// A name the image does not have: podman exits 125.
		res := e.Run("untag", img.ID, "localhost/not/there:1")
		wantError(t, e, res, 125, false, "not/there")

		// untag IMAGE alone removes every name; the image stays, dangling.
		e.Must(t, "untag", img.ID)
		if got := names(t, e, "-a"); !reflect.DeepEqual(got, []string{"<none>:<none>"}) {
			t.Errorf("[%s] after untag of all names: names %q, want [<none>:<none>]", e.Mode(), got)
		}
		if got := ids(t, e); !reflect.DeepEqual(got, []string{img.ID}) {
			t.Errorf("[%s] after untag: ids %q, want the image to stay", e.Mode(), got)
		}
		list := listImages(t, e, "-a")
		if len(list) != 1 || !list[0].Dangling || len(list[0].Names) != 0 {
			t.Errorf("[%s] after untag: images -a json %+v, want one dangling image without Names", e.Mode(), list)
		}

		// Errors.
		wantError(t, e, e.Run("tag", "nosuch", "x:1"), 125, false, "nosuch")
		wantError(t, e, e.Run("tag", img.ID), 125, false, "arg", "requires", "usage", "name")
		wantError(t, e, e.Run("tag", img.ID, "UPPER:1"), 125, false, "UPPER", "invalid reference format", "lowercase")
	})
}

// TestRmi removes images by name, id and prefix, with and without force.
func TestRmi(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := busybox(t, testutil.ImageOptions{})
		// A second image that shares the base layer.
		img2 := busybox(t, testutil.ImageOptions{Labels: map[string]string{"second": "yes"}})

		tests := []struct {
			name       string
			setup      []string // names to tag img with, after pulling it
			second     bool     // also pull img2
			args       []string
			code       int
			wantStdout []string // lines that must be on stdout
			wantIDs    []string
			wantErr    []string
		}{
			{name: "name of two keeps image", setup: []string{"a/b:c"}, args: []string{"rmi", "a/b:c"},
				wantStdout: []string{"Untagged: localhost/a/b:c"}, wantIDs: []string{img.ID}},
			{name: "last name deletes", args: []string{"rmi", layoutName(img)},
				wantStdout: []string{"Untagged: " + layoutName(img), "Deleted: " + img.ID}},
			{name: "full id", args: []string{"rmi", img.ID}, wantStdout: []string{"Deleted: " + img.ID}},
			{name: "sha256 id", args: []string{"rmi", "sha256:" + img.ID}, wantStdout: []string{"Deleted: " + img.ID}},
			{name: "unique prefix", args: []string{"rmi", img.ID[:7]}, wantStdout: []string{"Deleted: " + img.ID}},
			{name: "id with two names needs force", setup: []string{"extra:1"}, args: []string{"rmi", img.ID},
				code: 125, wantIDs: []string{img.ID}, wantErr: []string{"force", "multiple", "more than one"}},
			{name: "force id with two names", setup: []string{"extra:1"}, args: []string{"rmi", "-f", img.ID},
				wantStdout: []string{"Untagged: localhost/extra:1", "Untagged: " + layoutName(img), "Deleted: " + img.ID}},
			{name: "shared layer survives", second: true, args: []string{"rmi", img.ID},
				wantStdout: []string{"Deleted: " + img.ID}, wantIDs: []string{img2.ID}},
			{name: "all", second: true, args: []string{"rmi", "-a"},
				wantStdout: []string{"Deleted: " + img.ID, "Deleted: " + img2.ID}},
			{name: "missing", args: []string{"rmi", "nosuch"}, code: 1, wantIDs: []string{img.ID},
				wantErr: []string{"nosuch"}},
			{name: "missing and present", args: []string{"rmi", "nosuch", img.ID}, code: 1,
				wantErr: []string{"nosuch"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e.Must(t, "rmi", "-a", "-f")
				pull(t, e, img)
				if tc.second {
					pull(t, e, img2)
				}
				for _, n := range tc.setup {
					e.Must(t, "tag", img.ID, n)
				}
				res := e.Run(tc.args...)
				if tc.code != 0 {
					wantError(t, e, res, tc.code, false, tc.wantErr...)
				} else if res.Code != 0 {
					t.Fatalf("[%s] %s", e.Mode(), res)
				}
				lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
				for _, w := range tc.wantStdout {
					if !contains(lines, w) {
						t.Errorf("[%s] %s: stdout %q lacks line %q", e.Mode(), res.Cmd, res.Stdout, w)
					}
				}
				want := tc.wantIDs
				sort.Strings(want)
				if got := ids(t, e); !reflect.DeepEqual(got, want) && (len(got)+len(want) > 0) {
					t.Errorf("[%s] %s: images left %q, want %q", e.Mode(), res.Cmd, got, want)
				}
			})
		}
		// On an empty store rmi -a succeeds and says nothing.
		e.Must(t, "rmi", "-a", "-f")
		if out := e.Must(t, "rmi", "-a"); out != "" {
			t.Errorf("[%s] rmi -a on an empty store printed %q", e.Mode(), out)
		}
	})
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}
