package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a whole benchmark run: where it ran, with which settings, the rows and
// the notes on what each tool needed here.
type Report struct {
	Generated time.Time         `json:"generated"`
	Quick     bool              `json:"quick"`
	Host      map[string]string `json:"host"`     // kernel, cpus, tool versions...
	Settings  map[string]int    `json:"settings"` // run counts and workload sizes
	Rows      []Row             `json:"rows"`
	Notes     []string          `json:"notes,omitempty"`
}

// header is the column titles shared by the text and Markdown tables.
var header = []string{"metric", "engine median [min..max] n", "podman median [min..max] n", "ratio", "target", "met", "note"}

// cells renders a row as the strings of header's columns.
func (r Row) cells() []string {
	return []string{r.Metric, formatMeasure(r.Engine, r.Unit), formatMeasure(r.Podman, r.Unit),
		formatRatio(r.Ratio), formatTarget(r.Target), formatMet(r.Met), r.Note}
}

// formatMeasure is "12.3 ms [11.0..15.2] 15", or the reason nothing was measured.
func formatMeasure(m Measure, unit string) string {
	if !m.OK() {
		return m.Unavailable
	}
	return fmt.Sprintf("%s %s [%s..%s] %d", num(m.Median), unit, num(m.Min), num(m.Max), m.N)
}

// num prints v with about three significant digits.
func num(v float64) string {
	switch a := abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func formatRatio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *r)
}

func formatTarget(t *float64) string {
	if t == nil {
		return "-"
	}
	return fmt.Sprintf("<= %g", *t)
}

func formatMet(m *bool) string {
	switch {
	case m == nil:
		return "-"
	case *m:
		return "yes"
	default:
		return "no"
	}
}

// WriteText prints the table aligned for a terminal.
func (rep *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rep.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	return tw.Flush()
}

// WriteMarkdown writes the report as a Markdown document: a short header, the
// table and the notes.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# engine vs podman benchmark\n\n")
	fmt.Fprintf(&b, "Generated %s", rep.Generated.UTC().Format(time.RFC3339))
	if rep.Quick {
		b.WriteString(" (quick smoke run: few samples, small counts)")
	}
	b.WriteString(".\n\n")
	for _, k := range sortedKeys(rep.Host) {
		fmt.Fprintf(&b, "- %s: %s\n", k, mdEscape(rep.Host[k]))
	}
	if len(rep.Settings) > 0 {
		var s []string
		for _, k := range sortedKeys(rep.Settings) {
			s = append(s, fmt.Sprintf("%s=%d", k, rep.Settings[k]))
		}
		fmt.Fprintf(&b, "- settings: %s\n", strings.Join(s, ", "))
	}
	b.WriteString("\nRatio = engine median / podman median; a row meets its target when the ratio is at most the target.\n\n")
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(header)) + "|\n")
	for _, r := range rep.Rows {
		cells := r.cells()
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps a cell on one line and its pipes out of the table syntax.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
