package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	cfilters "go.podman.io/common/pkg/filters"
)

// volumeFilter is a parsed set of `volume ls --filter`s: key -> accepted values.
type volumeFilter map[string][]string

var volumeFilterKeys = map[string]bool{
	"name": true, "label": true, "label!": true, "dangling": true, "driver": true, "scope": true,
	"anonymous": true, "until": true,
}

func parseVolumeFilters(filters []string) (volumeFilter, error) {
	f := volumeFilter{}
	for _, s := range filters {
		k, v, ok := strings.Cut(s, "=")
		if !ok || !volumeFilterKeys[k] {
			return nil, fmt.Errorf("invalid filter %q (want name=, label=, label!=, dangling=, driver=, scope=, anonymous= or until=): %w", s, ErrInvalidArg)
		}
		switch k {
		case "dangling", "anonymous":
			if _, err := strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("invalid filter %q: %s takes true or false: %w", s, k, ErrInvalidArg)
			}
		case "name":
			if _, err := regexp.Compile(v); err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v: %w", s, err, ErrInvalidArg)
			}
		case "until":
			if _, err := cfilters.ComputeUntilTimestamp([]string{v}); err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v: %w", s, err, ErrInvalidArg)
			}
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// match tells whether v (used by a container when inUse) passes every key: one of
// a key's values must match, except label!, where none may (podman's negation).
func (f volumeFilter) match(v *Volume, inUse bool) bool {
	for k, vals := range f {
		if k == "label!" {
			if !cfilters.MatchNegatedLabelFilters(vals, v.Labels) {
				return false
			}
			continue
		}
		ok := false
		for _, val := range vals {
			if f.matchOne(k, val, v, inUse) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (volumeFilter) matchOne(k, val string, v *Volume, inUse bool) bool {
	switch k {
	case "name":
		return regexp.MustCompile(val).MatchString(v.Name)
	case "label":
		lk, lv, hasV := strings.Cut(val, "=")
		got, ok := v.Labels[lk]
		return ok && (!hasV || got == lv)
	case "dangling":
		b, _ := strconv.ParseBool(val)
		return b == !inUse
	case "anonymous":
		b, _ := strconv.ParseBool(val)
		return b == v.Anonymous
	case "driver":
		return val == v.Driver
	case "scope":
		return val == v.Scope
	case "until":
		t, err := cfilters.ComputeUntilTimestamp([]string{val}) // checked by parseVolumeFilters
		return err == nil && v.CreatedAt.Before(t)
	}
	return false
}
