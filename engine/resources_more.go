package engine

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ThrottleDevice is one --device-read-bps, --device-write-bps, --device-read-iops
// or --device-write-iops: a block device (resolved at create) and its rate.
type ThrottleDevice struct {
	Path  string `json:"path"`
	Major int64  `json:"major"`
	Minor int64  `json:"minor"`
	Rate  uint64 `json:"rate"`
}

// Throttle kinds, the flag names without --device-.
const (
	readBps   = "read-bps"
	writeBps  = "write-bps"
	readIOPS  = "read-iops"
	writeIOPS = "write-iops"
)

var throttleKinds = []string{readBps, writeBps, readIOPS, writeIOPS}

// parseCPUPeriodQuota checks --cpu-period and --cpu-quota (docker's limits) and
// that they do not come with --cpus, which sets both.
func (o ResourceOptions) parseCPUPeriodQuota(rc *ResourceConfig) error {
	if (o.CPUPeriod != 0 || o.CPUQuota != 0) && rc.NanoCPUs != 0 {
		return fmt.Errorf("--cpus cannot be set with --cpu-period or --cpu-quota: %w", ErrInvalidArg)
	}
	if o.CPUPeriod != 0 && (o.CPUPeriod < 1000 || o.CPUPeriod > 1000000) {
		return fmt.Errorf("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000): %w", ErrInvalidArg)
	}
	if o.CPUQuota != 0 && o.CPUQuota != -1 && o.CPUQuota < 1000 {
		return fmt.Errorf("CPU cfs quota can not be less than 1ms (i.e. 1000): %w", ErrInvalidArg)
	}
	rc.CPUPeriod, rc.CPUQuota = o.CPUPeriod, o.CPUQuota
	if o.MemorySwappiness != nil && *o.MemorySwappiness != -1 {
		if *o.MemorySwappiness < 0 || *o.MemorySwappiness > 100 {
			return fmt.Errorf("invalid value: %d, valid memory swappiness range is 0-100: %w", *o.MemorySwappiness, ErrInvalidArg)
		}
		rc.MemorySwappiness = o.MemorySwappiness
	}
	return nil
}

// parseThrottles reads the --device-*-bps/iops flags as PATH:RATE; bps rates take
// sizes (1mb), iops rates plain numbers.
func (o ResourceOptions) parseThrottles(rc *ResourceConfig) error {
	for _, kind := range throttleKinds {
		for _, s := range o.Throttle[kind] {
			path, rate, ok := strings.Cut(s, ":")
			if !ok || !strings.HasPrefix(path, "/") {
				return fmt.Errorf("invalid --device-%s %q: want /dev/PATH:RATE: %w", kind, s, ErrInvalidArg)
			}
			var n uint64
			var err error
			if strings.HasSuffix(kind, "bps") {
				var b int64
				b, err = units.RAMInBytes(rate)
				n = uint64(b)
				if b < 0 {
					err = fmt.Errorf("negative")
				}
			} else {
				n, err = strconv.ParseUint(rate, 10, 64)
			}
			if err != nil {
				return fmt.Errorf("invalid --device-%s %q: bad rate %q: %w", kind, s, rate, ErrInvalidArg)
			}
			if rc.Throttle == nil {
				rc.Throttle = map[string][]ThrottleDevice{}
			}
			rc.Throttle[kind] = append(rc.Throttle[kind], ThrottleDevice{Path: path, Rate: n})
		}
	}
	return nil
}

// resolveThrottles finds the device numbers of the throttled block devices.
func resolveThrottles(th map[string][]ThrottleDevice) error {
	for kind, list := range th {
		for i := range list {
			var st unix.Stat_t
			if err := unix.Stat(list[i].Path, &st); err != nil {
				return fmt.Errorf("--device-%s: %s: %v: %w", kind, list[i].Path, err, ErrInvalidArg)
			}
			if st.Mode&unix.S_IFMT != unix.S_IFBLK {
				return fmt.Errorf("--device-%s: %s is not a block device: %w", kind, list[i].Path, ErrInvalidArg)
			}
			list[i].Major, list[i].Minor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		}
	}
	return nil
}

// specThrottles puts the throttles into the spec's block I/O resources.
func specThrottles(res *specs.LinuxResources, th map[string][]ThrottleDevice) {
	if len(th) == 0 {
		return
	}
	if res.BlockIO == nil {
		res.BlockIO = &specs.LinuxBlockIO{}
	}
	conv := func(list []ThrottleDevice) []specs.LinuxThrottleDevice {
		var out []specs.LinuxThrottleDevice
		for _, d := range list {
			td := specs.LinuxThrottleDevice{Rate: d.Rate}
			td.Major, td.Minor = d.Major, d.Minor
			out = append(out, td)
		}
		return out
	}
	b := res.BlockIO
	b.ThrottleReadBpsDevice, b.ThrottleWriteBpsDevice = conv(th[readBps]), conv(th[writeBps])
	b.ThrottleReadIOPSDevice, b.ThrottleWriteIOPSDevice = conv(th[readIOPS]), conv(th[writeIOPS])
}

// InspectThrottle is one throttled device in inspect (docker's shape).
type InspectThrottle struct {
	Path string `json:"Path"`
	Rate uint64 `json:"Rate"`
}

func inspectThrottles(list []ThrottleDevice) []InspectThrottle {
	out := []InspectThrottle{}
	for _, d := range list {
		out = append(out, InspectThrottle{Path: d.Path, Rate: d.Rate})
	}
	return out
}
