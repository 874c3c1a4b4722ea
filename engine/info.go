package engine

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Info is `engine info`: the host, the store and the version, with podman's field
// names (scripts read them with --format, e.g. {{.Host.Security.Rootless}} or
// {{.Store.GraphRoot}}).
type Info struct {
	Host    HostInfo    `json:"host"`
	Store   StoreInfo   `json:"store"`
	Version VersionInfo `json:"version"`
}

// HostInfo describes the machine and what engine uses of it.
type HostInfo struct {
	Arch           string       `json:"arch"`
	OS             string       `json:"os"`
	Kernel         string       `json:"kernel"`
	Hostname       string       `json:"hostname"`
	CPUs           int          `json:"cpus"`
	MemTotal       int64        `json:"memTotal"`
	MemFree        int64        `json:"memFree"`
	SwapTotal      int64        `json:"swapTotal"`
	SwapFree       int64        `json:"swapFree"`
	Uptime         string       `json:"uptime"`
	CgroupManager  string       `json:"cgroupManager"`
	CgroupsVersion string       `json:"cgroupVersion"`
	OCIRuntime     OCIRuntime   `json:"ociRuntime"`
	NetworkBackend string       `json:"networkBackend"`
	EventLogger    string       `json:"eventLogger"`
	Security       SecurityInfo `json:"security"`
	Distribution   Distribution `json:"distribution"`
}

// OCIRuntime names what runs containers: runc's libcontainer, in this binary.
type OCIRuntime struct {
	Name    string `json:"name"`
	Package string `json:"package"`
	Path    string `json:"path"`
	Version string `json:"version"`
}

// SecurityInfo is the isolation available.
type SecurityInfo struct {
	Rootless            bool   `json:"rootless"`
	SeccompEnabled      bool   `json:"seccompEnabled"`
	SeccompProfilePath  string `json:"seccompProfilePath"`
	SELinuxEnabled      bool   `json:"selinuxEnabled"`
	AppArmorEnabled     bool   `json:"apparmorEnabled"`
	DefaultCapabilities string `json:"capabilities"`
}

// Distribution is the host's /etc/os-release.
type Distribution struct {
	Distribution string `json:"distribution"`
	Version      string `json:"version"`
	Codename     string `json:"codename,omitempty"`
}

// StoreInfo describes the store and counts what is in it.
type StoreInfo struct {
	ConfigFile      string          `json:"configFile"`
	GraphDriverName string          `json:"graphDriverName"`
	GraphRoot       string          `json:"graphRoot"`
	RunRoot         string          `json:"runRoot"`
	VolumePath      string          `json:"volumePath"`
	ContainerStore  ContainerCounts `json:"containerStore"`
	ImageStore      struct {
		Number int `json:"number"`
	} `json:"imageStore"`
}

// ContainerCounts counts containers by state.
type ContainerCounts struct {
	Number  int `json:"number"`
	Paused  int `json:"paused"`
	Running int `json:"running"`
	Stopped int `json:"stopped"`
}

// VersionInfo is `version`'s client section, podman's names.
type VersionInfo struct {
	APIVersion string `json:"APIVersion"`
	Version    string `json:"Version"`
	GoVersion  string `json:"GoVersion"`
	GitCommit  string `json:"GitCommit"`
	BuiltTime  string `json:"BuiltTime"`
	Built      int64  `json:"Built"`
	OsArch     string `json:"OsArch"`
	Os         string `json:"Os"`
}

// NewVersionInfo fills VersionInfo for this binary.
func NewVersionInfo(version string) VersionInfo {
	return VersionInfo{
		APIVersion: "4.3.1", Version: version, GoVersion: runtime.Version(),
		OsArch: runtime.GOOS + "/" + runtime.GOARCH, Os: runtime.GOOS,
	}
}

// Info gathers `engine info`.
func (r *Runtime) Info(version string) (*Info, error) {
	in := &Info{Version: NewVersionInfo(version)}
	in.Host = hostInfo(r.rootless)
	in.Host.OCIRuntime.Path = r.exe
	s := &in.Store
	s.ConfigFile = os.Getenv("CONTAINERS_STORAGE_CONF")
	s.GraphDriverName, s.GraphRoot, s.RunRoot = r.paths.Driver, r.paths.GraphRoot, r.paths.RunRoot
	s.VolumePath = filepath.Join(r.paths.GraphRoot, volumesDir)
	ctrs, err := r.List()
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs {
		st, err := c.State()
		if err != nil {
			continue
		}
		s.ContainerStore.Number++
		switch {
		case st.Status == StatusPaused:
			s.ContainerStore.Paused++
		case st.Running():
			s.ContainerStore.Running++
		default:
			s.ContainerStore.Stopped++
		}
	}
	imgs, err := r.store.Images()
	if err != nil {
		return nil, err
	}
	s.ImageStore.Number = len(imgs)
	return in, nil
}

func hostInfo(rootless bool) HostInfo {
	h := HostInfo{
		Arch: runtime.GOARCH, OS: runtime.GOOS, CPUs: runtime.NumCPU(),
		CgroupManager: "cgroupfs", CgroupsVersion: "v1", NetworkBackend: "cni", EventLogger: "none",
		OCIRuntime: OCIRuntime{Name: "libcontainer", Package: "github.com/opencontainers/runc/libcontainer (built in)"},
		Security: SecurityInfo{Rootless: rootless, SeccompProfilePath: "(built in: podman's default profile)",
			DefaultCapabilities: strings.Join(defaultCaps, ",")},
	}
	if cgroups.IsCgroup2UnifiedMode() {
		h.CgroupsVersion = "v2"
	}
	if maj, min, _ := seccomp.GetLibraryVersion(); maj > 0 {
		h.Security.SeccompEnabled = true
		h.OCIRuntime.Version = "libseccomp " + strconv.Itoa(int(maj)) + "." + strconv.Itoa(int(min))
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	h.Hostname, _ = os.Hostname()
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		unit := int64(si.Unit)
		h.MemTotal, h.MemFree = int64(si.Totalram)*unit, int64(si.Freeram)*unit
		h.SwapTotal, h.SwapFree = int64(si.Totalswap)*unit, int64(si.Freeswap)*unit
		h.Uptime = (time.Duration(si.Uptime) * time.Second).String()
	}
	_, h.Security.AppArmorEnabled = readTrim("/sys/module/apparmor/parameters/enabled")
	h.Distribution = osRelease()
	return h
}

// osRelease reads ID, VERSION_ID and VERSION_CODENAME of /etc/os-release.
func osRelease() Distribution {
	var d Distribution
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return d
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			d.Distribution = v
		case "VERSION_ID":
			d.Version = v
		case "VERSION_CODENAME":
			d.Codename = v
		}
	}
	return d
}

// readTrim reads a one-line file; ok is whether it says Y.
func readTrim(path string) (string, bool) {
	b, err := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	return s, err == nil && s == "Y"
}
