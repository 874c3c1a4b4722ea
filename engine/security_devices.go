package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/devices"
	"github.com/opencontainers/cgroups/devices/config"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DeviceMapping is one --device: a host device, where it appears in the container,
// and the cgroup access the container gets (r, w, m).
type DeviceMapping struct {
	Host      string `json:"host"`
	Container string `json:"container"`
	Perms     string `json:"perms"`
}

// parseDevice reads /dev/x[:/dev/y][:rwm].
func parseDevice(s string) (DeviceMapping, error) {
	parts := strings.Split(s, ":")
	d := DeviceMapping{Host: parts[0], Perms: "rwm"}
	switch len(parts) {
	case 1:
	case 2:
		if strings.HasPrefix(parts[1], "/") {
			d.Container = parts[1]
		} else {
			d.Perms = parts[1]
		}
	case 3:
		d.Container, d.Perms = parts[1], parts[2]
	default:
		return d, fmt.Errorf("invalid device specification %q (want /dev/x[:/dev/y][:rwm]): %w", s, ErrInvalidArg)
	}
	if d.Container == "" {
		d.Container = d.Host
	}
	if !strings.HasPrefix(d.Host, "/") || !strings.HasPrefix(d.Container, "/") {
		return d, fmt.Errorf("invalid device specification %q: paths must be absolute: %w", s, ErrInvalidArg)
	}
	if !validPerms(d.Perms) {
		return d, fmt.Errorf("invalid device specification %q: bad permissions %q (any of r, w, m): %w", s, d.Perms, ErrInvalidArg)
	}
	return d, nil
}

func validPerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || strings.Count(p, string(c)) > 1 {
			return false
		}
	}
	return true
}

// resolveDevices checks that the host paths are devices; a directory stands for
// the devices below it (as podman does), placed under the container path.
func resolveDevices(in []DeviceMapping) ([]DeviceMapping, error) {
	var out []DeviceMapping
	for _, d := range in {
		fi, err := os.Stat(d.Host)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, ErrInvalidArg)
		}
		if !fi.IsDir() {
			if _, err := devices.DeviceFromPath(d.Host, d.Perms); err != nil {
				return nil, deviceErr(d.Host, err)
			}
			out = append(out, d)
			continue
		}
		found, err := devices.GetDevices(d.Host)
		if err != nil {
			return nil, fmt.Errorf("listing devices in %s: %v: %w", d.Host, err, ErrInvalidArg)
		}
		for _, dev := range found {
			rel, _ := filepath.Rel(d.Host, dev.Path)
			out = append(out, DeviceMapping{Host: dev.Path, Container: filepath.Join(d.Container, rel), Perms: d.Perms})
		}
	}
	return out, nil
}

func deviceErr(path string, err error) error {
	if errors.Is(err, devices.ErrNotADevice) {
		return fmt.Errorf("%s is not a device: %w", path, ErrInvalidArg)
	}
	return fmt.Errorf("%s: %v: %w", path, err, ErrInvalidArg)
}

// specDevices adds the --device devices (all host devices for --privileged) to the
// container and allows them in its device cgroup.
func (sc *SecurityConfig) specDevices(spec *specs.Spec, rootless bool) error {
	if sc.Privileged {
		host, err := devices.HostDevices()
		if err != nil {
			return fmt.Errorf("listing host devices: %w", err)
		}
		for _, d := range host {
			addDevice(spec, d, d.Path)
		}
		spec.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	for _, m := range sc.Devices {
		d, err := devices.DeviceFromPath(m.Host, m.Perms)
		if err != nil {
			return deviceErr(m.Host, err)
		}
		if rootless {
			// No mknod in a user namespace: libcontainer would bind-mount the device
			// from the host at its container path, which is wrong when they differ.
			spec.Mounts = append(spec.Mounts, specs.Mount{Destination: m.Container, Type: "bind", Source: m.Host, Options: []string{"bind", "nosuid", "noexec"}})
			continue
		}
		addDevice(spec, d, m.Container)
		spec.Linux.Resources.Devices = append(spec.Linux.Resources.Devices, specs.LinuxDeviceCgroup{
			Allow: true, Type: string(d.Type), Major: ptr(d.Major), Minor: ptr(d.Minor), Access: m.Perms,
		})
	}
	return nil
}

// addDevice puts d at path in the container, replacing a device already there.
func addDevice(spec *specs.Spec, d *config.Device, path string) {
	ld := specs.LinuxDevice{
		Path: path, Type: string(d.Type), Major: d.Major, Minor: d.Minor,
		FileMode: ptr(d.FileMode), UID: ptr(d.Uid), GID: ptr(d.Gid),
	}
	for i := range spec.Linux.Devices {
		if spec.Linux.Devices[i].Path == path {
			spec.Linux.Devices[i] = ld
			return
		}
	}
	spec.Linux.Devices = append(spec.Linux.Devices, ld)
}
