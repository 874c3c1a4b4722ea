package format

import (
	"bytes"
	"testing"
)

type row struct {
	ID, Repository string
	Size           int
}

func TestRows(t *testing.T) {
	rows := []row{{"abc", "localhost/a", 1}, {"defgh", "localhost/bb", 22}}
	tests := []struct {
		name, tmpl string
		noHead     bool
		want       string
	}{
		{"plain", "{{.ID}} {{.Size}}", false, "abc 1\ndefgh 22\n"},
		{"table", "table {{.ID}}\t{{.Repository}}", false, "IMAGE ID  REPOSITORY\nabc       localhost/a\ndefgh     localhost/bb\n"},
		{"table no heading", "table {{.ID}}", true, "abc\ndefgh\n"},
		{"escaped tab", `{{.ID}}\t{{.Size}}`, false, "abc\t1\ndefgh\t22\n"},
		{"json func", "{{json .ID}}", false, "\"abc\"\n\"defgh\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Rows(&b, tt.tmpl, rows, map[string]string{"ID": "IMAGE ID"}, tt.noHead); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRowsBadTemplate(t *testing.T) {
	var b bytes.Buffer
	if err := Rows(&b, "{{.Nope", []row{{}}, nil, false); err == nil {
		t.Fatal("want error for unterminated template")
	}
	if err := Rows(&b, "{{.Nope}}", []row{{}}, nil, false); err == nil {
		t.Fatal("want error for unknown field")
	}
}
