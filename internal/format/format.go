// Package format prints command results the way podman does: a table by default,
// "json", a Go template per row, or "table " + template for a table with headers.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"text/template"
)

var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"join":  strings.Join,
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
}

// JSON writes v as indented JSON, as podman's --format json does.
func JSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return fmt.Errorf("encoding json: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

var fieldRe = regexp.MustCompile(`\{\{\s*\.(\w+)[^}]*\}\}`)

// Rows prints rows with a Go template. A template that starts with "table" becomes a
// tab-aligned table whose header names come from headers (field -> header), or the
// field name in upper case. noHeading drops the header line.
func Rows[T any](w io.Writer, tmpl string, rows []T, headers map[string]string, noHeading bool) error {
	isTable := strings.HasPrefix(tmpl, "table")
	if isTable {
		tmpl = strings.TrimSpace(strings.TrimPrefix(tmpl, "table"))
	}
	tmpl = strings.ReplaceAll(tmpl, `\t`, "\t")
	tmpl = strings.ReplaceAll(tmpl, `\n`, "\n")
	t, err := template.New("format").Funcs(funcs).Parse(tmpl + "\n")
	if err != nil {
		return fmt.Errorf("invalid --format %q: %w", tmpl, err)
	}
	out := w
	var tw *tabwriter.Writer
	if isTable {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		out = tw
		if !noHeading {
			fmt.Fprintln(tw, header(tmpl, headers))
		}
	}
	var buf bytes.Buffer
	for i := range rows {
		buf.Reset()
		if err := t.Execute(&buf, rows[i]); err != nil {
			return fmt.Errorf("invalid --format %q: %w", tmpl, err)
		}
		if _, err := out.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func header(tmpl string, headers map[string]string) string {
	return fieldRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := fieldRe.FindStringSubmatch(m)[1]
		if h, ok := headers[name]; ok {
			return h
		}
		return strings.ToUpper(name)
	})
}

// Inspect prints each item through a Go template applied to its JSON form, so that
// templates use the JSON names docker and podman document ({{.Id}}, {{.State.Pid}},
// {{.Config.Env}}); {{.ID}} is accepted as an alias of {{.Id}}, as podman does.
func Inspect(w io.Writer, tmpl string, items []any) error {
	tmpl = strings.ReplaceAll(strings.ReplaceAll(tmpl, `\t`, "\t"), `\n`, "\n")
	t, err := template.New("format").Funcs(funcs).Option("missingkey=error").Parse(tmpl + "\n")
	if err != nil {
		return fmt.Errorf("invalid --format %q: %w", tmpl, err)
	}
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return err
		}
		if id, ok := m["Id"]; ok {
			m["ID"] = id
		}
		if err := t.Execute(w, m); err != nil {
			return fmt.Errorf("invalid --format %q: %w", tmpl, err)
		}
	}
	return nil
}

// Value prints v through a Go template over its Go fields (podman's info and version
// templates: {{.Host.Security.Rootless}}, {{.Client.Version}}).
func Value(w io.Writer, tmpl string, v any) error {
	tmpl = strings.ReplaceAll(strings.ReplaceAll(tmpl, `\t`, "\t"), `\n`, "\n")
	t, err := template.New("format").Funcs(funcs).Parse(tmpl + "\n")
	if err != nil {
		return fmt.Errorf("invalid --format %q: %w", tmpl, err)
	}
	if err := t.Execute(w, v); err != nil {
		return fmt.Errorf("invalid --format %q: %w", tmpl, err)
	}
	return nil
}
