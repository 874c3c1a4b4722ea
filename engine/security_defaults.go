package engine

import "path/filepath"

// The /proc and /sys paths a container must not see or write: podman's defaults
// (go.podman.io/common/pkg/config, which is too big a package to link for two
// lists). Masked paths are hidden under an empty read-only file or tmpfs.
var (
	maskedPathList = []string{
		"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
		"/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
		"/sys/firmware", "/sys/fs/selinux", "/proc/interrupts",
	}
	maskedPathGlobs      = []string{"/sys/devices/system/cpu/cpu*/thermal_throttle"}
	defaultReadonlyPaths = []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// defaultMaskedPaths is maskedPathList plus the host's matches of maskedPathGlobs.
func defaultMaskedPaths() []string {
	out := append([]string{}, maskedPathList...)
	for _, g := range maskedPathGlobs {
		m, _ := filepath.Glob(g)
		out = append(out, m...)
	}
	return out
}
