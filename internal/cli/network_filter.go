package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	cfilters "go.podman.io/common/pkg/filters"

	"github.com/engine-dev/engine/netcni"
)

// Filter keys of `network ls` and `network prune`, as podman 4.3 takes them.
var (
	networkLsFilters    = []string{"name", "id", "driver", "label", "label!", "until", "dangling"}
	networkPruneFilters = []string{"label", "label!", "until"}
)

// networkFilter builds --filter's predicate: the values of name, id and driver
// are alternatives; every label, label!, until and dangling must hold. used
// reports the networks containers use (for dangling), asked only when needed.
func networkFilter(filters, allowed []string, used func() (map[string]bool, error)) (func(*netcni.Network) bool, error) {
	alts := map[string][]func(*netcni.Network) bool{}
	var all []func(*netcni.Network) bool
	var labels, notLabels []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("invalid filter %q", f)
		}
		switch k {
		case "name":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v", f, err)
			}
			alts[k] = append(alts[k], func(n *netcni.Network) bool { return re.MatchString(n.Name) })
		case "id":
			alts[k] = append(alts[k], func(n *netcni.Network) bool { return strings.HasPrefix(n.ID, v) })
		case "driver":
			alts[k] = append(alts[k], func(n *netcni.Network) bool { return n.Driver == v })
		case "label":
			labels = append(labels, v)
		case "label!":
			notLabels = append(notLabels, v)
		case "until":
			until, err := cfilters.ComputeUntilTimestamp([]string{v})
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v", f, err)
			}
			all = append(all, func(n *netcni.Network) bool { return n.Created.Before(until) })
		case "dangling":
			p, err := danglingFilter(v, used)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v", f, err)
			}
			all = append(all, p)
		}
	}
	return func(n *netcni.Network) bool {
		if !cfilters.MatchLabelFilters(labels, n.Labels) || !cfilters.MatchNegatedLabelFilters(notLabels, n.Labels) {
			return false
		}
		for _, p := range all {
			if !p(n) {
				return false
			}
		}
		for _, ps := range alts {
			if !anyOf(ps, n) {
				return false
			}
		}
		return true
	}, nil
}

// danglingFilter is dangling=true|false: networks no container uses (never the
// default network, as podman).
func danglingFilter(v string, used func() (map[string]bool, error)) (func(*netcni.Network) bool, error) {
	want, err := strconv.ParseBool(v)
	if err != nil {
		return nil, err
	}
	inUse, err := used()
	if err != nil {
		return nil, err
	}
	return func(n *netcni.Network) bool {
		dangling := n.Name != netcni.DefaultNetwork && !inUse[n.Name]
		return dangling == want
	}, nil
}

func anyOf(ps []func(*netcni.Network) bool, n *netcni.Network) bool {
	for _, p := range ps {
		if p(n) {
			return true
		}
	}
	return false
}
