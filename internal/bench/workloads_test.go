package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// fakePair returns an engine and a podman tool that run nothing: samplers under
// test only look at their names.
func fakePair() [2]*Tool {
	return [2]*Tool{{Name: "engine"}, {Name: "podman"}}
}

func TestMeasureRowAlternates(t *testing.T) {
	var calls []string
	n := 0.0
	s := func(_ context.Context, tool *Tool) (float64, error) {
		calls = append(calls, tool.Name)
		n++
		return n, nil
	}
	b := &Bench{log: io.Discard}
	row := b.measureRow(context.Background(), fakePair(), "", metric{name: "m", unit: "ms", warmup: 1, runs: 3, sample: s})
	want := "engine podman podman engine engine podman podman engine"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("call order %q, want %q", got, want)
	}
	// Warm-up values (1, 2) are dropped: engine got 4, 5, 8; podman 3, 6, 7.
	if row.Engine.N != 3 || row.Engine.Median != 5 || row.Podman.N != 3 || row.Podman.Median != 6 {
		t.Errorf("engine %+v, podman %+v", row.Engine, row.Podman)
	}
}

func TestMeasureRowFailures(t *testing.T) {
	podmanCalls := 0
	s := func(_ context.Context, tool *Tool) (float64, error) {
		if tool.Name == "engine" {
			return 0, errNotImplemented
		}
		podmanCalls++
		if podmanCalls%2 == 0 {
			return 0, errors.New("flaky")
		}
		return 10, nil
	}
	b := &Bench{log: io.Discard}
	row := b.measureRow(context.Background(), fakePair(), "", metric{name: "m", unit: "ms", runs: 10, sample: s})
	if row.Engine.OK() || row.Engine.Unavailable != "not implemented yet" {
		t.Errorf("engine: %+v", row.Engine)
	}
	// Failures 2, 4, 6 end podman's sampling after 6 calls: 3 samples.
	if podmanCalls != 2*maxFailures || row.Podman.N != maxFailures || !strings.Contains(row.Note, "podman: 3 runs failed, last: flaky") {
		t.Errorf("podman calls %d, measure %+v, note %q", podmanCalls, row.Podman, row.Note)
	}
}

func TestMeasureRowMissingTool(t *testing.T) {
	b := &Bench{log: io.Discard}
	pair := [2]*Tool{{Name: "engine"}, nil}
	s := func(context.Context, *Tool) (float64, error) { return 1, nil }
	row := b.measureRow(context.Background(), pair, "podman not installed", metric{runs: 2, sample: s})
	if row.Engine.N != 2 || row.Podman.OK() || row.Podman.Unavailable != "podman not installed" {
		t.Errorf("engine %+v, podman %+v", row.Engine, row.Podman)
	}
	row = b.measureRow(context.Background(), pair, "x", metric{runs: 2, sample: func(context.Context, *Tool) (float64, error) {
		return 0, errors.New("boom")
	}})
	if row.Engine.Unavailable != "failed: boom" {
		t.Errorf("engine %+v", row.Engine)
	}
}
