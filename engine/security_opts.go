package engine

import (
	"fmt"
	"path/filepath"
	"strings"
)

// parseSecurityOpts reads --security-opt: no-new-privileges[=true|false],
// seccomp=unconfined|PROFILE.json, mask=P1:P2, unmask=ALL|P1:P2 (globs), and
// label=disable / apparmor=unconfined, which are accepted because this engine
// applies no SELinux label or AppArmor profile anyway.
func (sc *SecurityConfig) parseSecurityOpts(opts []string) error {
	for _, opt := range opts {
		key, val, hasVal := strings.Cut(opt, "=")
		if !hasVal {
			key, val, hasVal = strings.Cut(opt, ":") // docker's old syntax
		}
		switch {
		case key == "no-new-privileges":
			switch val {
			case "", "true":
				sc.NoNewPrivileges = true
			case "false":
				sc.NoNewPrivileges = false
			default:
				return fmt.Errorf("invalid --security-opt %q: no-new-privileges takes true or false: %w", opt, ErrInvalidArg)
			}
		case key == "seccomp" && hasVal && val != "":
			sc.Seccomp = val
		case key == "mask" && hasVal:
			paths, err := securityPaths(opt, val, false)
			if err != nil {
				return err
			}
			sc.Mask = append(sc.Mask, paths...)
		case key == "unmask" && hasVal:
			paths, err := securityPaths(opt, val, true)
			if err != nil {
				return err
			}
			sc.Unmask = append(sc.Unmask, paths...)
		case opt == "label=disable" || opt == "label:disable" || opt == "apparmor=unconfined" || opt == "apparmor:unconfined":
		case key == "label" || key == "apparmor":
			return fmt.Errorf("invalid --security-opt %q: this engine has no SELinux or AppArmor support (only label=disable and apparmor=unconfined): %w", opt, ErrInvalidArg)
		default:
			return fmt.Errorf("invalid --security-opt %q (want no-new-privileges, seccomp=, mask=, unmask=): %w", opt, ErrInvalidArg)
		}
		sc.SecurityOpt = append(sc.SecurityOpt, opt)
	}
	return nil
}

// securityPaths splits a colon-separated mask= or unmask= list of absolute paths
// (unmask also takes ALL, and globs).
func securityPaths(opt, val string, unmask bool) ([]string, error) {
	var out []string
	for _, p := range strings.Split(val, ":") {
		switch {
		case unmask && p == "ALL":
		case !strings.HasPrefix(p, "/"):
			return nil, fmt.Errorf("invalid --security-opt %q: %q is not an absolute path: %w", opt, p, ErrInvalidArg)
		default:
			if _, err := filepath.Match(p, "/"); err != nil {
				return nil, fmt.Errorf("invalid --security-opt %q: bad pattern %q: %w", opt, p, ErrInvalidArg)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// maskedAndReadonly is the default masked and read-only paths without those
// --privileged or unmask= removed, plus mask=.
func (sc *SecurityConfig) maskedAndReadonly() (masked, readonly []string) {
	if !sc.Privileged {
		masked = sc.unmasked(defaultMaskedPaths())
		readonly = sc.unmasked(defaultReadonlyPaths)
	}
	return append(masked, sc.Mask...), readonly
}

func (sc *SecurityConfig) unmasked(paths []string) []string {
	var out []string
	for _, p := range paths {
		keep := true
		for _, u := range sc.Unmask {
			if ok, _ := filepath.Match(u, p); u == "ALL" || ok {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}
