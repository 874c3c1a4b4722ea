package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// imageInspect is the part of `image inspect` the tests check (podman's names).
type imageInspect struct {
	ID           string   `json:"Id"`
	Digest       string   `json:"Digest"`
	RepoTags     []string `json:"RepoTags"`
	RepoDigests  []string `json:"RepoDigests"`
	Architecture string   `json:"Architecture"`
	Os           string   `json:"Os"`
	Author       string   `json:"Author"`
	Size         int64    `json:"Size"`
	Config       struct {
		Cmd    []string          `json:"Cmd"`
		Env    []string          `json:"Env"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	RootFS struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
	History []struct {
		CreatedBy string `json:"created_by"`
	} `json:"History"`
}

// inspect runs `image inspect REF` and parses its one-element array.
func inspect(t *testing.T, e *testutil.Engine, ref string) imageInspect {
	t.Helper()
	out := e.Must(t, "image", "inspect", ref)
	var list []imageInspect
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("[%s] image inspect %s: %v\noutput: %s", e.Mode(), ref, err, out)
	}
	if len(list) != 1 {
		t.Fatalf("[%s] image inspect %s: %d entries, want 1", e.Mode(), ref, len(list))
	}
	return list[0]
}

func TestImageInspect(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		labels := map[string]string{"org.example.inspect": "yes"}
		img := busybox(t, testutil.ImageOptions{Labels: labels, ExtraLayers: 1, ExtraLayerBytes: 2048, Seed: 3})
		name := pull(t, e, img)
		e.Must(t, "tag", img.ID, "second/name:v2")

		for _, ref := range []string{name, img.ID, img.ID[:12], "second/name:v2"} {
			got := inspect(t, e, ref)
			if got.ID != img.ID {
				t.Errorf("[%s] inspect %s: Id %q, want %q", e.Mode(), ref, got.ID, img.ID)
			}
			wantTags := []string{name, "localhost/second/name:v2"}
			if !reflect.DeepEqual(got.RepoTags, wantTags) {
				t.Errorf("[%s] inspect %s: RepoTags %q, want %q", e.Mode(), ref, got.RepoTags, wantTags)
			}
			if got.Digest != img.ManifestDigest.String() {
				t.Errorf("[%s] inspect %s: Digest %q, want %q", e.Mode(), ref, got.Digest, img.ManifestDigest)
			}
			if !reflect.DeepEqual(got.Config.Cmd, []string{"sh"}) {
				t.Errorf("[%s] inspect %s: Config.Cmd %q, want [sh]", e.Mode(), ref, got.Config.Cmd)
			}
			if !reflect.DeepEqual(got.Config.Env, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}) {
				t.Errorf("[%s] inspect %s: Config.Env %q", e.Mode(), ref, got.Config.Env)
			}
			if !reflect.DeepEqual(got.Config.Labels, labels) {
				t.Errorf("[%s] inspect %s: Config.Labels %v, want %v", e.Mode(), ref, got.Config.Labels, labels)
			}
			if got.Architecture != "amd64" || got.Os != "linux" {
				t.Errorf("[%s] inspect %s: %s/%s, want linux/amd64", e.Mode(), ref, got.Os, got.Architecture)
			}
			if got.Author != "engine testutil" {
				t.Errorf("[%s] inspect %s: Author %q", e.Mode(), ref, got.Author)
			}
			var wantLayers []string
			for _, d := range img.DiffIDs {
				wantLayers = append(wantLayers, d.String())
			}
			if got.RootFS.Type != "layers" || !reflect.DeepEqual(got.RootFS.Layers, wantLayers) {
				t.Errorf("[%s] inspect %s: RootFS %+v, want layers %q", e.Mode(), ref, got.RootFS, wantLayers)
			}
			if len(got.History) != 2 || !strings.Contains(got.History[1].CreatedBy, "COPY layer1.bin") {
				t.Errorf("[%s] inspect %s: History %+v, want the config's two entries", e.Mode(), ref, got.History)
			}
		}
		if out := e.Must(t, "image", "inspect", "--format", "{{.Id}} {{.Os}}", name); out != img.ID+" linux" {
			t.Errorf("[%s] image inspect --format: %q, want %q", e.Mode(), out, img.ID+" linux")
		}
		res := e.Run("image", "inspect", "nosuch")
		wantError(t, e, res, 125, false, "nosuch")
	})
}

func TestHistory(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := busybox(t, testutil.ImageOptions{ExtraLayers: 2, ExtraLayerBytes: 1024, Seed: 5})
		name := pull(t, e, img)

		// Newest first, one row per history entry.
		want := []string{
			"/bin/sh -c #(nop) COPY layer2.bin /data/layer2.bin",
			"/bin/sh -c #(nop) COPY layer1.bin /data/layer1.bin",
			img.Config.History[0].CreatedBy,
		}
		out := e.Must(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", name)
		if got := strings.Split(out, "\n"); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] history --no-trunc --format {{.CreatedBy}}:\n got %q\nwant %q", e.Mode(), got, want)
		}

		table := strings.Split(e.Must(t, "history", img.ID), "\n")
		if len(table) != 1+len(want) {
			t.Errorf("[%s] history table has %d lines, want a header and %d rows:\n%s",
				e.Mode(), len(table), len(want), strings.Join(table, "\n"))
		} else {
			if h := strings.Join(strings.Fields(table[0]), " "); !strings.HasPrefix(h, "ID CREATED CREATED BY SIZE") {
				t.Errorf("[%s] history header %q, want ID CREATED CREATED BY SIZE COMMENT", e.Mode(), h)
			}
			if !strings.HasPrefix(table[1], img.ID[:12]) {
				t.Errorf("[%s] history first row %q, want it to start with the image id %s", e.Mode(), table[1], img.ID[:12])
			}
		}

		var rows []map[string]any
		jsonOut := e.Must(t, "history", "--format", "json", name)
		if err := json.Unmarshal([]byte(jsonOut), &rows); err != nil {
			t.Fatalf("[%s] history --format json: %v\n%s", e.Mode(), err, jsonOut)
		}
		if len(rows) != len(want) {
			t.Errorf("[%s] history --format json: %d rows, want %d", e.Mode(), len(rows), len(want))
		}
		for i, r := range rows {
			if i < len(want) && r["CreatedBy"] != want[i] {
				t.Errorf("[%s] history json row %d CreatedBy %v, want %q", e.Mode(), i, r["CreatedBy"], want[i])
			}
		}
		wantError(t, e, e.Run("history", "nosuch"), 125, false, "nosuch")
	})
}
