package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"go.podman.io/storage/pkg/parsers"
)

// Parse validates the options on their own (no host checks) and converts them;
// error messages follow podman's.
func (o ResourceOptions) Parse() (ResourceConfig, error) {
	var rc ResourceConfig
	var err error
	if rc.Memory, err = parseSize("memory", o.Memory); err != nil {
		return rc, err
	}
	if rc.Memory > 0 && rc.Memory < minMemory {
		return rc, fmt.Errorf("minimum memory limit allowed is 6MB: %w", ErrInvalidArg)
	}
	if rc.MemoryReservation, err = parseSize("memory-reservation", o.MemoryReservation); err != nil {
		return rc, err
	}
	if rc.Memory > 0 && rc.MemoryReservation > rc.Memory {
		return rc, fmt.Errorf("minimum memory limit cannot be less than memory reservation limit, see usage: %w", ErrInvalidArg)
	}
	if rc.MemorySwap, err = parseSwap(o.MemorySwap, rc.Memory); err != nil {
		return rc, err
	}
	if rc.NanoCPUs, err = parseCPUs(o.CPUs); err != nil {
		return rc, err
	}
	if err := o.parseCPUPeriodQuota(&rc); err != nil {
		return rc, err
	}
	if err := o.parseThrottles(&rc); err != nil {
		return rc, err
	}
	if err := checkShares(o.CPUShares); err != nil {
		return rc, err
	}
	rc.CPUShares = o.CPUShares
	if rc.CPUSetCPUs, err = parseCpuset("cpus", o.CPUSetCPUs); err != nil {
		return rc, err
	}
	if rc.CPUSetMems, err = parseCpuset("mems", o.CPUSetMems); err != nil {
		return rc, err
	}
	if o.PidsLimit != nil && *o.PidsLimit > 0 {
		rc.PidsLimit = *o.PidsLimit
	}
	if o.BlkioWeight != 0 && (o.BlkioWeight < 10 || o.BlkioWeight > 1000) {
		return rc, fmt.Errorf("range of blkio weight is from 10 to 1000: %w", ErrInvalidArg)
	}
	rc.BlkioWeight = o.BlkioWeight
	if rc.Ulimits, err = parseUlimits(o.Ulimits); err != nil {
		return rc, err
	}
	rc.OOMKillDisable = o.OOMKillDisable
	if rc.ShmSize, err = parseSize("shm-size", o.ShmSize); err != nil {
		return rc, fmt.Errorf("unable to translate --shm-size: %w", err)
	}
	return rc, nil
}

// parseSize reads a size such as 512m or 1g (go-units, binary multiples).
func parseSize(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value for %s: invalid size: '%s': %w", flag, s, ErrInvalidArg)
	}
	return n, nil
}

// parseSwap reads --memory-swap (memory plus swap): -1 is unlimited swap; unset
// with a memory limit means twice the memory, as podman and docker do.
func parseSwap(s string, memory int64) (int64, error) {
	if s == "" {
		if memory > 0 {
			return 2 * memory, nil
		}
		return 0, nil
	}
	if s == "-1" {
		return -1, nil
	}
	swap, err := parseSize("memory-swap", s)
	if err != nil {
		return 0, err
	}
	switch {
	case memory == 0:
		return 0, fmt.Errorf("you should always set a memory limit when using a memoryswap limit, see usage: %w", ErrInvalidArg)
	case swap < memory:
		return 0, fmt.Errorf("minimum memoryswap limit should be larger than memory limit, see usage: %w", ErrInvalidArg)
	}
	return swap, nil
}

// parseCPUs reads --cpus as nanoCPUs (docker's NanoCpus); 0 means no limit.
func parseCPUs(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid argument %q for --cpus: not a number: %w", s, ErrInvalidArg)
	}
	if f < 0 {
		return 0, fmt.Errorf("invalid argument %q for --cpus: must not be negative: %w", s, ErrInvalidArg)
	}
	nano := int64(math.Round(f * 1e9))
	if f > 0 && nano*cpuPeriod/1e9 < 1000 {
		// The kernel's smallest CFS quota is 1ms per period.
		return 0, fmt.Errorf("invalid argument %q for --cpus: the minimum is 0.01: %w", s, ErrInvalidArg)
	}
	return nano, nil
}

func checkShares(n uint64) error {
	switch {
	case n == 0:
		return nil
	case n < minCPUShares:
		return fmt.Errorf("the minimum allowed cpu-shares is %d: %w", minCPUShares, ErrInvalidArg)
	case n > maxCPUShares:
		return fmt.Errorf("the maximum allowed cpu-shares is %d: %w", maxCPUShares, ErrInvalidArg)
	}
	return nil
}

// parseCpuset checks a list such as 0-2,5 (containers/storage's parser, as podman).
func parseCpuset(kind, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := parsers.ParseUintList(s); err != nil {
		return "", fmt.Errorf("invalid value %s for cpuset %s: %w", s, kind, ErrInvalidArg)
	}
	return s, nil
}

// parseUlimits reads --ulimit name=soft[:hard] with go-units; a later one of a name
// replaces an earlier one.
func parseUlimits(in []string) ([]Ulimit, error) {
	var out []Ulimit
	for _, s := range in {
		u, err := units.ParseUlimit(s)
		if err != nil {
			return nil, fmt.Errorf("ulimit option %q requires name=SOFT:HARD, failed to be parsed: %v: %w", s, err, ErrInvalidArg)
		}
		ul := Ulimit{Name: strings.ToLower(u.Name), Soft: uint64(u.Soft), Hard: uint64(u.Hard)}
		replaced := false
		for i := range out {
			if out[i].Name == ul.Name {
				out[i], replaced = ul, true
			}
		}
		if !replaced {
			out = append(out, ul)
		}
	}
	return out, nil
}
