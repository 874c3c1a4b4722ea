package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// storageDriver is the driver both tools use: the default of both on this kind of
// host, given explicitly so that neither falls back to vfs.
const storageDriver = "overlay"

// basePath is the PATH every tool runs with.
const basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// toolDirs makes dir/{root,runroot,home,run,tmp} for one tool, owned by cred's user
// when cred is set (XDG_RUNTIME_DIR must be the user's, mode 0700).
func toolDirs(dir string, cred *syscall.Credential) error {
	for _, sub := range []string{"", "root", "runroot", "home", "run", "tmp"} {
		p := filepath.Join(dir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o700); err != nil {
			return err
		}
		if cred != nil {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	return nil
}

// baseEnv is the environment of a tool whose private directories are under dir.
func baseEnv(dir, userName string) []string {
	return []string{
		"PATH=" + basePath,
		"HOME=" + filepath.Join(dir, "home"),
		"USER=" + userName,
		"LOGNAME=" + userName,
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "home", ".config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "home", ".local", "share"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
	}
}

// newEngineTool returns engine with its private store under dir.
func newEngineTool(bin, dir string, cred *syscall.Credential, userName string) (*Tool, error) {
	if err := toolDirs(dir, cred); err != nil {
		return nil, err
	}
	mode := "root"
	if cred != nil {
		mode = "rootless"
	}
	return &Tool{
		Name: "engine", Mode: mode, Bin: bin, Cred: cred, Dir: dir,
		Global: []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
			"--storage-driver", storageDriver},
		Env:     baseEnv(dir, userName),
		ForceRm: []string{"rm", "-f"},
	}, nil
}

// newPodmanTool returns podman with its private store and containers.conf under
// dir (see podmanConf).
func newPodmanTool(bin, dir string, cred *syscall.Credential, userName string) (*Tool, error) {
	if err := toolDirs(dir, cred); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte(podmanConf(dir, nprocLimit())), 0o644); err != nil {
		return nil, err
	}
	mode := "root"
	if cred != nil {
		mode = "rootless"
	}
	return &Tool{
		Name: "podman", Mode: mode, Bin: bin, Cred: cred, Dir: dir,
		Global: []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
			"--storage-driver", storageDriver},
		Env:     append(baseEnv(dir, userName), "CONTAINERS_CONF="+conf),
		ForceRm: []string{"rm", "-f", "-t", "0"},
	}, nil
}

// podmanConf is podman's private containers.conf (CONTAINERS_CONF makes it the only
// one read) for a tool directory dir. What this machine needs:
//   - cgroup_manager cgroupfs and events_logger file: there is no systemd;
//   - runtime runc: crun refuses the hybrid cgroup v1/v2 layout;
//   - default_ulimits: podman asks runc for RLIMIT_NOFILE and RLIMIT_NPROC of
//     1048576 by default, above the hard limits runc runs with (NOFILE 20000;
//     NPROC 32768, which podman's own process was seen to run with here), and root
//     lacks CAP_SYS_RESOURCE to raise them: runc's init then fails with EPERM;
//   - tmp_dir, events log, network_config_dir and image_copy_tmp_dir inside dir,
//     so that nothing outside it (/run/libpod, /etc/containers/networks,
//     /var/tmp) is touched.
func podmanConf(dir string, nproc uint64) string {
	q := func(s string) string { return strconv.Quote(filepath.Join(dir, s)) }
	return fmt.Sprintf(`# written by engine's benchmark (internal/bench)
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=%d:%d"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %s
runtime = "runc"
tmp_dir = %s
image_copy_tmp_dir = %s

[network]
network_config_dir = %s
`, nproc, nproc, q("podman-events.log"), q("podman-tmp"), q("tmp"), q("networks"))
}

// nprocLimit is the RLIMIT_NPROC podman's containers can be given here: at most
// 32768 (podman's own process ran with that hard limit on the reference machine;
// 65536 and -1 were refused), the hard limit and pid_max.
func nprocLimit() uint64 {
	var lim unix.Rlimit
	n := uint64(32768)
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &lim); err == nil && lim.Max < n {
		n = lim.Max
	}
	if data, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil && v < n {
			n = v
		}
	}
	return n
}

// copyExecutable copies the binary at src to dst, mode 0755.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
