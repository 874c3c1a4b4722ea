package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnescapeMountinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/plain", "/plain"},
		{`/with\040space`, "/with space"},
		{`/tab\011x\134y`, "/tab\tx\\y"},
		{`/trailing\`, `/trailing\`},
		{`/short\04`, `/short\04`},
	}
	for _, tc := range tests {
		if got := unescapeMountinfo(tc.in); got != tc.want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReadSubIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subuid")
	content := "other:100000:65536\nenginetest:200000:65536\nenginetest:300000:10\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		want   IDRange
		wantOK bool
	}{
		{"enginetest", IDRange{200000, 65536}, true},
		{"other", IDRange{100000, 65536}, true},
		{"nobody", IDRange{}, false},
	}
	for _, tc := range tests {
		got, ok, err := readSubIDs(path, tc.name)
		if err != nil || ok != tc.wantOK || got != tc.want {
			t.Errorf("readSubIDs(%q) = %v, %v, %v; want %v, %v, nil", tc.name, got, ok, err, tc.want, tc.wantOK)
		}
	}
	if _, ok, err := readSubIDs(filepath.Join(t.TempDir(), "missing"), "x"); ok || err != nil {
		t.Errorf("missing file: ok=%v err=%v, want false, nil", ok, err)
	}
	if err := os.WriteFile(path, []byte("enginetest:abc:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readSubIDs(path, "enginetest"); err == nil {
		t.Error("malformed line: no error")
	}
}

func TestEnsureSubIDsAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subgid")
	if err := os.WriteFile(path, []byte("other:100000:65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // idempotent
		got, err := ensureSubIDs(path, "someone")
		if err != nil || got != (IDRange{200000, 65536}) {
			t.Fatalf("ensureSubIDs = %v, %v", got, err)
		}
	}
	data, _ := os.ReadFile(path)
	if want := "other:100000:65536\nsomeone:200000:65536\n"; string(data) != want {
		t.Errorf("file = %q, want %q", data, want)
	}
}

func TestMountsUnderSees(t *testing.T) {
	m, err := MountsUnder("/proc")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range m {
		if p == "/proc" {
			found = true
		}
	}
	if !found {
		t.Errorf("MountsUnder(/proc) = %q, want it to include /proc", m)
	}
}
