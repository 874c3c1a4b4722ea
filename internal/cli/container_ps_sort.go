package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/engine-dev/engine/engine"
)

// psSortKeys are podman's `ps --sort` keys, each with its order.
var psSortKeys = map[string]func(a, b *engine.Summary) bool{
	"command": func(a, b *engine.Summary) bool { return strings.Join(a.Command, " ") < strings.Join(b.Command, " ") },
	"created": func(a, b *engine.Summary) bool { return false }, // Ps's order already: newest first
	"id":      func(a, b *engine.Summary) bool { return a.ID < b.ID },
	"image":   func(a, b *engine.Summary) bool { return a.Image < b.Image },
	"names":   func(a, b *engine.Summary) bool { return firstName(a) < firstName(b) },
	"status":  func(a, b *engine.Summary) bool { return a.Status < b.Status },
	"size": func(a, b *engine.Summary) bool {
		return a.Size != nil && b.Size != nil && a.Size.RwSize < b.Size.RwSize
	},
}

func init() { psSortKeys["runningfor"] = psSortKeys["created"] }

// sortPs orders ps's rows by a --sort key (podman's; "" keeps newest first).
func sortPs(sums []engine.Summary, key string) error {
	if key == "" {
		return nil
	}
	less, ok := psSortKeys[key]
	if !ok {
		return fmt.Errorf("invalid argument %q for \"--sort\" flag: want one of command, created, id, image, names, runningfor, size, status", key)
	}
	sort.SliceStable(sums, func(i, j int) bool { return less(&sums[i], &sums[j]) })
	return nil
}

func firstName(s *engine.Summary) string {
	if len(s.Names) == 0 {
		return ""
	}
	return s.Names[0]
}
