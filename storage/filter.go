package storage

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	cfilters "go.podman.io/common/pkg/filters"
)

// imageFilter is a parsed set of `images --filter` arguments; all must match.
type imageFilter struct {
	preds       []func(*ImageSummary) bool
	needsLabels bool
}

func (f *imageFilter) match(s *ImageSummary) bool {
	for _, p := range f.preds {
		if !p(s) {
			return false
		}
	}
	return true
}

func (s *Store) parseFilters(filters []string, all []ImageSummary) (*imageFilter, error) {
	f := &imageFilter{}
	for _, raw := range filters {
		key, val, ok := strings.Cut(raw, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE", raw)
		}
		var p func(*ImageSummary) bool
		switch key {
		case "dangling":
			want := val == "true" || val == "1"
			if !want && val != "false" && val != "0" {
				return nil, fmt.Errorf("invalid filter %q: dangling takes true or false", raw)
			}
			p = func(s *ImageSummary) bool { return s.Dangling == want }
		case "label":
			f.needsLabels = true
			p = func(s *ImageSummary) bool { return cfilters.MatchLabelFilters([]string{val}, s.Labels) }
		case "label!":
			f.needsLabels = true
			p = func(s *ImageSummary) bool { return cfilters.MatchNegatedLabelFilters([]string{val}, s.Labels) }
		case "containers":
			want, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: containers takes true or false", raw)
			}
			p = func(s *ImageSummary) bool { return (s.Containers > 0) == want }
		case "readonly":
			want, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: readonly takes true or false", raw)
			}
			p = func(*ImageSummary) bool { return !want } // no additional image stores: nothing is read-only
		case "reference":
			p = func(s *ImageSummary) bool { return referenceMatches(val, s.Names) }
		case "id":
			p = func(s *ImageSummary) bool { return strings.HasPrefix(s.ID, strings.TrimPrefix(val, "sha256:")) }
		case "before", "since":
			img, err := s.LookupImage(val)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %w", raw, err)
			}
			t := img.Created
			if key == "before" {
				p = func(s *ImageSummary) bool { return s.CreatedAt.Before(t) }
			} else {
				p = func(s *ImageSummary) bool { return s.CreatedAt.After(t) }
			}
		case "until":
			t, err := parseUntil(val)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %w", raw, err)
			}
			p = func(s *ImageSummary) bool { return s.CreatedAt.Before(t) }
		default:
			return nil, fmt.Errorf("invalid filter %q: unknown key %q", raw, key)
		}
		f.preds = append(f.preds, p)
	}
	return f, nil
}

// referenceMatches applies podman's reference filter: a glob against the full name,
// against the name without registry, or against the repository alone.
func referenceMatches(pattern string, names []string) bool {
	for _, n := range names {
		repo, tag := SplitName(n)
		short := repo
		if i := strings.IndexRune(repo, '/'); i >= 0 && hasDomain(repo) {
			short = repo[i+1:]
		}
		for _, cand := range []string{n, repo, short, short + ":" + tag, strings.TrimPrefix(short, "library/")} {
			if globMatch(pattern, cand) {
				return true
			}
		}
	}
	return false
}

// parseUntil reads an until= value as podman does: a Go duration ("24h", meaning
// that long ago), a Unix timestamp, or a date or time (RFC 3339 and its shorter forms).
func parseUntil(v string) (time.Time, error) {
	return cfilters.ComputeUntilTimestamp([]string{v})
}

func sortNewestFirst(list []ImageSummary) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })
}
