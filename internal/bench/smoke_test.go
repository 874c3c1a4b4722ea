package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// asMainEnv makes the test binary behave as the benchmark command, so that the
// smoke test runs the real program (mount namespace re-exec included).
const asMainEnv = "ENGINE_BENCH_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the whole benchmark with -quick against $ENGINE_BINARY (set by
// `make test`) and checks that it measured something and wrote its three files.
// It checks no timing. Needs root; skipped with -short.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark (-quick): skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("the benchmark needs root")
	}
	bin := os.Getenv("ENGINE_BINARY")
	if bin == "" {
		t.Skip("set ENGINE_BINARY to the engine binary (make test does)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-quick", "-engine", bin, "-out", out)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	start := time.Now()
	output, err := cmd.CombinedOutput()
	t.Logf("quick run took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("bench -quick: %v\n%s", err, output)
	}

	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	engineRows := 0
	for _, r := range rep.Rows {
		if r.Engine.OK() {
			engineRows++
		}
	}
	if len(rep.Rows) < 10 || engineRows < 5 {
		t.Errorf("%d rows, %d measured for engine:\n%s", len(rep.Rows), engineRows, output)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil || !strings.Contains(string(md), "| version |") {
		t.Errorf("results.md: %v\n%s", err, md)
	}
	svg, err := os.ReadFile(filepath.Join(out, "results.svg"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("results.svg: %v", err)
		}
	}
}
