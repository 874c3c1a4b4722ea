package storage

import (
	"os"
	"sort"
	"testing"

	cstorage "go.podman.io/storage"
)

// ReadContainerRecords must see what the store itself lists: durable and
// volatile (--rm) records, names and metadata, with the driver found on disk.
func TestReadContainerRecords(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a containers/storage store needs root (or the user namespace the CLI sets up)")
	}
	dir := t.TempDir()
	opts := Options{Root: dir + "/root", RunRoot: dir + "/run", Driver: "vfs"}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i, volatile := range []bool{false, true, false} {
		name := []string{"durable-a", "volatile-b", "durable-c"}[i]
		c, err := s.CreateContainer("", []string{name}, "", "", `{"engine":1,"n":"`+name+`"}`, &cstorage.ContainerOptions{Volatile: volatile})
		if err != nil {
			t.Fatal(err)
		}
		want[c.ID] = name
	}
	s.Close()

	paths, err := ResolvePaths(Options{Root: opts.Root, RunRoot: opts.RunRoot})
	if err != nil {
		t.Fatal(err)
	}
	recs, driver, ok, err := ReadContainerRecords(paths)
	if err != nil || !ok {
		t.Fatalf("ReadContainerRecords: ok=%v err=%v", ok, err)
	}
	if driver != "vfs" {
		t.Errorf("driver %q, want vfs (found from the graph root)", driver)
	}
	var got []string
	for _, r := range recs {
		if meta, err := r.Metadata(); want[r.ID] == "" || len(r.Names) != 1 || r.Names[0] != want[r.ID] || err != nil || meta != `{"engine":1,"n":"`+want[r.ID]+`"}` || r.LayerID == "" {
			t.Errorf("unexpected record %+v", r)
		}
		got = append(got, r.Names[0])
	}
	sort.Strings(got)
	if len(got) != 3 || got[0] != "durable-a" || got[1] != "durable-c" || got[2] != "volatile-b" {
		t.Errorf("records %v, want durable-a, durable-c, volatile-b", got)
	}

	// An empty graph root: nothing to read, and no driver to guess.
	if _, _, ok, err := ReadContainerRecords(Paths{GraphRoot: t.TempDir(), RunRoot: t.TempDir()}); ok || err != nil {
		t.Errorf("empty root: ok=%v err=%v, want not ok", ok, err)
	}
}
