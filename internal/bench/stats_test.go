package main

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name             string
		in               []float64
		median, min, max float64
	}{
		{"one", []float64{7}, 7, 7, 7},
		{"odd", []float64{5, 1, 3}, 3, 1, 5},
		{"even", []float64{4, 1, 3, 10}, 3.5, 1, 10},
		{"equal", []float64{2, 2, 2, 2}, 2, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.in...)
			m := summarize(in, "")
			if m.Median != tc.median || m.Min != tc.min || m.Max != tc.max || m.N != len(tc.in) {
				t.Errorf("summarize(%v) = median %v min %v max %v n %d, want %v %v %v %d",
					tc.in, m.Median, m.Min, m.Max, m.N, tc.median, tc.min, tc.max, len(tc.in))
			}
			if !m.OK() || m.Unavailable != "" {
				t.Errorf("summarize(%v) not OK: %+v", tc.in, m)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatalf("summarize reordered its input: %v", in)
				}
			}
		})
	}
}

func TestSummarizeEmpty(t *testing.T) {
	m := summarize(nil, "not implemented yet")
	if m.OK() || m.N != 0 || m.Unavailable != "not implemented yet" {
		t.Errorf("summarize(nil) = %+v", m)
	}
	if m := summarize(nil, ""); m.Unavailable == "" {
		t.Errorf("summarize(nil, \"\") gives no reason: %+v", m)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRowFinish(t *testing.T) {
	ok := func(median float64) Measure { return Measure{Median: median, Min: median, Max: median, N: 1} }
	for _, tc := range []struct {
		name           string
		row            Row
		ratio          float64 // -1: no ratio
		met, metIsNull bool
	}{
		{"met", Row{Engine: ok(25), Podman: ok(100), Target: target(0.25)}, 0.25, true, false},
		{"missed", Row{Engine: ok(30), Podman: ok(100), Target: target(0.25)}, 0.3, false, false},
		{"no target", Row{Engine: ok(50), Podman: ok(100)}, 0.5, false, true},
		{"engine missing", Row{Engine: Measure{Unavailable: "not implemented yet"}, Podman: ok(100), Target: target(1)}, -1, false, true},
		{"podman missing", Row{Engine: ok(1), Podman: Measure{Unavailable: "x"}, Target: target(1)}, -1, false, true},
		{"podman zero", Row{Engine: ok(1), Podman: ok(0), Target: target(1)}, -1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.row
			r.finish()
			switch {
			case tc.ratio < 0 && r.Ratio != nil:
				t.Errorf("ratio = %v, want none", *r.Ratio)
			case tc.ratio >= 0 && (r.Ratio == nil || math.Abs(*r.Ratio-tc.ratio) > 1e-9):
				t.Errorf("ratio = %v, want %v", r.Ratio, tc.ratio)
			}
			switch {
			case tc.metIsNull && r.Met != nil:
				t.Errorf("met = %v, want none", *r.Met)
			case !tc.metIsNull && (r.Met == nil || *r.Met != tc.met):
				t.Errorf("met = %v, want %v", r.Met, tc.met)
			}
		})
	}
}
