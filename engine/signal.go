package engine

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ParseSignal reads a signal as docker does: "TERM", "SIGTERM", "sigterm" or "15".
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q: %w", s, ErrInvalidArg)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	if strings.HasPrefix(name, "SIGRTMIN") || strings.HasPrefix(name, "SIGRTMAX") {
		base, off := 34, name[8:]
		if strings.HasPrefix(name, "SIGRTMAX") {
			base = 64
		}
		n := 0
		if off != "" {
			v, err := strconv.Atoi(off)
			if err != nil {
				return 0, fmt.Errorf("invalid signal %q: %w", s, ErrInvalidArg)
			}
			n = v
		}
		if sig := base + n; sig >= 34 && sig <= 64 {
			return syscall.Signal(sig), nil
		}
	}
	return 0, fmt.Errorf("invalid signal %q: %w", s, ErrInvalidArg)
}
