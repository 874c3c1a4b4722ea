package main

import (
	"fmt"
	"html"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartWidth  = 960
	labelWidth  = 360 // metric names, left of the plot
	plotLeft    = labelWidth + 10
	plotRight   = chartWidth - 90 // room for the ratio printed after a bar
	rowHeight   = 26
	chartTop    = 56 // title and axis labels
	chartBottom = 40 // legend
)

// Bar colours.
const (
	colourMet    = "#2e7d32"
	colourMissed = "#c62828"
	colourNone   = "#78909c"
)

// WriteSVG draws the rows' ratios (engine / podman median) as horizontal bars on a
// logarithmic axis, each with its target as a black tick: green bars meet their
// target, red ones miss it, grey ones have none. Rows without a ratio show why.
func (rep *Report) WriteSVG(w io.Writer) error {
	lo, hi := ratioScale(rep.Rows)
	x := func(v float64) float64 {
		v = math.Min(math.Max(v, lo), hi)
		return plotLeft + (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(plotRight-plotLeft)
	}
	height := chartTop + len(rep.Rows)*rowHeight + chartBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartWidth, height)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="15" font-weight="bold">%s</text>`+"\n",
		html.EscapeString("engine / podman median (log scale, lower is better; black tick = target)"))

	// Decade grid lines, the 1.0 line (parity) drawn darker.
	plotBottom := chartTop + len(rep.Rows)*rowHeight
	for v := lo; v <= hi*1.0001; v *= 10 {
		stroke := "#ddd"
		if math.Abs(v-1) < 1e-9 {
			stroke = "#555"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x(v), chartTop-6, x(v), plotBottom, stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%g</text>`+"\n", x(v), chartTop-10, v)
	}

	for i, r := range rep.Rows {
		y := chartTop + i*rowHeight
		mid := y + rowHeight/2 + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelWidth, mid, html.EscapeString(shorten(r.Metric, 58)))
		if r.Ratio == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s" font-style="italic">%s</text>`+"\n",
				plotLeft+4, mid, colourNone, html.EscapeString(shorten(missingReason(r), 80)))
			continue
		}
		colour := colourNone
		if r.Met != nil {
			colour = map[bool]string{true: colourMet, false: colourMissed}[*r.Met]
		}
		end := x(*r.Ratio)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
			plotLeft, y+5, math.Max(end-plotLeft, 1), rowHeight-10, colour)
		labelX := end + 4
		if r.Target != nil {
			tx := x(*r.Target)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" stroke-width="2"/>`+"\n",
				tx, y+2, tx, y+rowHeight-2)
			if tx >= end-2 && tx < end+34 { // keep the label clear of the tick
				labelX = tx + 4
			}
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.2f</text>`+"\n", labelX, mid, *r.Ratio)
	}

	ly := plotBottom + 24
	legend := []struct{ colour, text string }{{colourMet, "target met"}, {colourMissed, "target missed"}, {colourNone, "no target"}}
	for i, l := range legend {
		lx := plotLeft + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			lx, ly-10, l.colour, lx+16, ly, l.text)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ratioScale returns the decades the axis spans: powers of ten around every ratio,
// every target and 1.
func ratioScale(rows []Row) (lo, hi float64) {
	lo, hi = 1, 1
	for _, r := range rows {
		for _, v := range []*float64{r.Ratio, r.Target} {
			if v != nil && *v > 0 && !math.IsInf(*v, 0) {
				lo, hi = math.Min(lo, *v), math.Max(hi, *v)
			}
		}
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

// missingReason says why a row has no ratio.
func missingReason(r Row) string {
	var parts []string
	if !r.Engine.OK() {
		parts = append(parts, "engine: "+r.Engine.Unavailable)
	}
	if !r.Podman.OK() {
		parts = append(parts, "podman: "+r.Podman.Unavailable)
	}
	return strings.Join(parts, "; ")
}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
