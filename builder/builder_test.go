package builder

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseBuildArgs(t *testing.T) {
	t.Setenv("FROM_ENV", "env-value")
	got, err := ParseBuildArgs([]string{"A=1", "B=", "C=x=y", "FROM_ENV", "UNSET_IN_ENV_XYZ"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "", "C": "x=y", "FROM_ENV": "env-value"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"=x", "", "A B=1"} {
		if _, err := ParseBuildArgs([]string{bad}); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ParseBuildArgs(%q): got %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"unknown": "FROM x\nFOO bar\n",
		"noargs":  "FROM x\nENV\n",
		"nofrom":  "RUN true\n",
	} {
		p := filepath.Join(dir, name)
		writeFiles(t, dir, map[string]string{name: content})
		if _, err := parseDockerfile(p); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("%s: got %v, want ErrInvalidArg", name, err)
		}
	}
}

func TestNeededStages(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": `FROM x AS a
RUN true
FROM x AS unused
RUN true
FROM a AS b
COPY --from=c /x /x
FROM x AS c
FROM b
`})
	df, err := parseDockerfile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// b copies from c, which comes later: that name is an image, not a stage.
	if got, want := df.needed(4), []int{0, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("needed(last) = %v, want %v", got, want)
	}
	if i, ok := df.stageIndex("B"); !ok || i != 2 {
		t.Errorf("stageIndex(B) = %d, %v; want 2", i, ok)
	}
}

func TestSourceResolve(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "a", "b.txt": "b", "sub/c": "c", "secret": "s", ".dockerignore": "secret\n"})
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	src, err := contextSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a.txt", []string{"a.txt"}}, {"/sub/c", []string{"sub/c"}}, {"*.txt", []string{"a.txt", "b.txt"}},
		{".", []string{"."}}, {"sub/../a.txt", []string{"a.txt"}},
	} {
		got, err := src.resolve(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("resolve(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"../x", "sub/../../x", "missing", "secret", "out", "http://example.com/x"} {
		if got, err := src.resolve(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("resolve(%q) = %v, %v; want ErrInvalidArg", bad, got, err)
		}
	}
}

func TestDigestIgnoresTimes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/a": "a", "d/skip": "x", ".dockerignore": "d/skip\n"})
	src, err := contextSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := src.digest([]string{"d"})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "d/a"), old, old); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"d/skip": "changed, but ignored"})
	if d2, _ := src.digest([]string{"d"}); d2 != d1 {
		t.Errorf("digest changed with a time or an ignored file: %s -> %s", d1, d2)
	}
	writeFiles(t, dir, map[string]string{"d/a": "b"})
	if d3, _ := src.digest([]string{"d"}); d3 == d1 {
		t.Errorf("digest did not change with the content")
	}
}

func TestChainKeys(t *testing.T) {
	a := chain("base", "RUN", "x")
	if a == chain("base", "RUN", "y") || a == chain("other", "RUN", "x") || a != chain("base", "RUN", "x") {
		t.Errorf("chain keys do not follow their parts")
	}
	// Parts are delimited: ("ab","c") and ("a","bc") differ.
	if chain("", "ab", "c") == chain("", "a", "bc") {
		t.Errorf("chain(ab, c) == chain(a, bc)")
	}
}
