package main

import (
	"math"
	"sort"
)

// Measure is what one tool gave for one metric: its samples and their summary, or
// why there are none.
type Measure struct {
	Values []float64 `json:"values,omitempty"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	N      int       `json:"n"`
	// Unavailable says why nothing was measured ("not implemented yet", an error);
	// empty when N > 0.
	Unavailable string `json:"unavailable,omitempty"`
}

// summarize returns the Measure of values (median, min, max, count); with no
// values it is marked unavailable with reason.
func summarize(values []float64, reason string) Measure {
	if len(values) == 0 {
		if reason == "" {
			reason = "no samples"
		}
		return Measure{Unavailable: reason}
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	return Measure{Values: values, Median: median(s), Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// median of sorted values: the middle one, or the mean of the two middle ones.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// OK tells whether the measure holds samples.
func (m Measure) OK() bool { return m.N > 0 }

// Row is one line of the results: a metric measured for engine and podman, their
// median ratio and the target that ratio must meet.
type Row struct {
	Metric string  `json:"metric"`
	Unit   string  `json:"unit"`
	Engine Measure `json:"engine"`
	Podman Measure `json:"podman"`
	// Ratio is engine's median over podman's; nil when either is missing.
	Ratio *float64 `json:"ratio"`
	// Target is the largest acceptable ratio; nil when the issue sets none.
	Target *float64 `json:"target"`
	// Met tells whether Ratio <= Target; nil when either is missing.
	Met  *bool  `json:"met"`
	Note string `json:"note,omitempty"`
}

// finish computes Ratio and Met from the measures and the target.
func (r *Row) finish() {
	r.Ratio, r.Met = nil, nil
	if !r.Engine.OK() || !r.Podman.OK() || r.Podman.Median <= 0 {
		return
	}
	ratio := r.Engine.Median / r.Podman.Median
	r.Ratio = &ratio
	if r.Target != nil {
		met := ratio <= *r.Target
		r.Met = &met
	}
}

// target returns a pointer to v, for Row.Target.
func target(v float64) *float64 { return &v }
