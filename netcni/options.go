package netcni

import (
	"fmt"
	"strconv"
)

// macvlanModes are the macvlan plugin's modes podman accepts for -o mode=.
var macvlanModes = map[string]bool{"bridge": true, "private": true, "vepa": true, "passthru": true}

// driverOptions checks `network create -o` as podman 4.3 does for its driver:
// bridge takes mtu and vlan; macvlan takes parent, mode and mtu. Anything else is
// refused rather than ignored (isolate too: engine does not isolate networks from
// each other). It returns the options to keep and, for macvlan, the parent,
// which becomes the network's interface as in podman (not an option).
func driverOptions(driver string, in map[string]string) (map[string]string, string, error) {
	var out map[string]string
	parent := ""
	for k, v := range in {
		if err := driverOption(driver, k, v); err != nil {
			return nil, "", err
		}
		if driver == "macvlan" && k == "parent" {
			parent = v
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, parent, nil
}

func driverOption(driver, k, v string) error {
	switch {
	case k == "mtu":
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("invalid mtu %q: want a number of bytes: %w", v, ErrInvalidArg)
		}
	case k == "vlan" && driver == "bridge":
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 4094 {
			return fmt.Errorf("vlan ID %q must be between 0 and 4094: %w", v, ErrInvalidArg)
		}
	case k == "parent" && driver == "macvlan":
		if !validLinkName(v) {
			return fmt.Errorf("invalid parent interface %q: %w", v, ErrInvalidArg)
		}
	case k == "mode" && driver == "macvlan":
		if !macvlanModes[v] {
			return fmt.Errorf("unknown macvlan mode %q: %w", v, ErrInvalidArg)
		}
	default:
		return fmt.Errorf("unsupported %s network option %s: %w", driver, k, ErrInvalidArg)
	}
	return nil
}

// validLinkName is the kernel's rule for an interface name.
func validLinkName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r == '/' || r == ':' || r == ' ' || r == '\t' || r == '\n' {
			return false
		}
	}
	return true
}

// intOption is n's numeric option k (0 when unset).
func intOption(n *Network, k string) int {
	v, _ := strconv.Atoi(n.Options[k])
	return v
}
