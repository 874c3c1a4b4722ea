package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// sampleReport has a met row, a missed row, a row without target and one that
// engine cannot measure.
func sampleReport() *Report {
	rows := []Row{
		{Metric: "run --rm --network none busybox true", Unit: "ms", Target: target(0.25),
			Engine: summarize([]float64{50, 40, 60}, ""), Podman: summarize([]float64{300, 250, 400}, "")},
		{Metric: "stop -t 0", Unit: "ms", Target: target(0.25),
			Engine: summarize([]float64{100, 100}, ""), Podman: summarize([]float64{200, 200}, ""), Note: "a | pipe"},
		{Metric: "images (101 images)", Unit: "ms",
			Engine: summarize([]float64{12.345}, ""), Podman: summarize([]float64{1234.5}, "")},
		{Metric: "build, uncached", Unit: "ms", Target: target(1),
			Engine: summarize(nil, "not implemented yet"), Podman: summarize([]float64{9000}, "")},
	}
	for i := range rows {
		rows[i].finish()
	}
	return &Report{
		Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Host:      map[string]string{"kernel": "6.1", "cpus": "2"},
		Settings:  map[string]int{"runs": 3},
		Rows:      rows,
		Notes:     []string{"podman needed\nsomething"},
	}
}

func TestFormatMeasure(t *testing.T) {
	for _, tc := range []struct {
		m    Measure
		want string
	}{
		{summarize([]float64{1.234, 2, 3}, ""), "2.00 ms [1.23..3.00] 3"},
		{summarize([]float64{12.34, 99.99}, ""), "56.2 ms [12.3..100.0] 2"},
		{summarize([]float64{1500}, ""), "1500 ms [1500..1500] 1"},
		{summarize(nil, "not implemented yet"), "not implemented yet"},
	} {
		if got := formatMeasure(tc.m, "ms"); got != tc.want {
			t.Errorf("formatMeasure(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"| metric | engine median [min..max] n | podman median [min..max] n | ratio | target | met | note |",
		"|---|---|---|---|---|---|---|",
		"| run --rm --network none busybox true | 50.0 ms [40.0..60.0] 3 | 300 ms [250..400] 3 | 0.17 | <= 0.25 | yes |  |",
		"| stop -t 0 | 100 ms [100..100] 2 | 200 ms [200..200] 2 | 0.50 | <= 0.25 | no | a \\| pipe |",
		"| images (101 images) | 12.3 ms [12.3..12.3] 1 | 1234 ms [1234..1234] 1 | 0.01 | - | - |  |",
		"| build, uncached | not implemented yet | 9000 ms [9000..9000] 1 | - | <= 1 | - |  |",
		"- kernel: 6.1",
		"- settings: runs=3",
		"- podman needed something",
		"2026-01-02T03:04:05Z",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table line has the same number of unescaped cell separators.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != len(header)+1 {
				t.Errorf("%d separators in %q, want %d", n, line, len(header)+1)
			}
		}
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(back.Rows) != 4 {
		t.Fatalf("%d rows back, want 4", len(back.Rows))
	}
	r0 := back.Rows[0]
	if r0.Ratio == nil || *r0.Ratio != 50.0/300 || r0.Met == nil || !*r0.Met || r0.Engine.N != 3 || r0.Engine.Median != 50 {
		t.Errorf("row 0 back from JSON: %+v", r0)
	}
	r3 := back.Rows[3]
	if r3.Ratio != nil || r3.Met != nil || r3.Engine.Unavailable != "not implemented yet" || *r3.Target != 1 {
		t.Errorf("row 3 back from JSON: %+v", r3)
	}
	var raw struct {
		Rows []map[string]any `json:"rows"`
	}
	json.Unmarshal(buf.Bytes(), &raw)
	if v, ok := raw.Rows[3]["ratio"]; !ok || v != nil {
		t.Errorf("a row without ratio must have \"ratio\": null, got %v (present %v)", v, ok)
	}
}

func TestText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "metric") || !strings.Contains(lines[4], "not implemented yet") {
		t.Errorf("text table:\n%s", buf.String())
	}
}

func TestSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	// Well-formed XML.
	dec := xml.NewDecoder(strings.NewReader(svg))
	rects, texts := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "rect":
				rects++
			case "text":
				texts++
			}
		}
	}
	// Background + 3 bars + 3 legend swatches.
	if rects != 7 {
		t.Errorf("%d rects, want 7:\n%s", rects, svg)
	}
	for _, want := range []string{colourMet, colourMissed, colourNone, "engine: not implemented yet", "0.17", `stroke="black"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestRatioScale(t *testing.T) {
	for _, tc := range []struct {
		ratios  []float64
		lo, hi  float64
		targets []float64
	}{
		{nil, 1, 10, nil},
		{[]float64{0.5}, 0.1, 1, []float64{0.25}},
		{[]float64{0.05, 3}, 0.01, 10, []float64{0.2}},
		{[]float64{1}, 1, 10, nil},
	} {
		var rows []Row
		for _, r := range tc.ratios {
			r := r
			rows = append(rows, Row{Ratio: &r})
		}
		for _, v := range tc.targets {
			rows = append(rows, Row{Target: target(v)})
		}
		lo, hi := ratioScale(rows)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("ratioScale(%v, %v) = %v, %v; want %v, %v", tc.ratios, tc.targets, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestShorten(t *testing.T) {
	if got := shorten("a  b\nc", 10); got != "a b c" {
		t.Errorf("shorten = %q", got)
	}
	if got := shorten("abcdefghij", 5); got != "abcd…" {
		t.Errorf("shorten = %q", got)
	}
}
