package e2e

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/engine-dev/engine/internal/testutil"
)

// Isolation (issue #4), checked from inside the container: capabilities, seccomp,
// masked and read-only paths, --privileged, devices, namespaces, sysctls, groups.

// dockerDefaultCaps is CapEff of root in a default container: docker's 14
// capabilities (chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap,
// net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap).
const dockerDefaultCaps = "00000000a80425fb"

// procStatus runs `grep ^FIELD: /proc/self/status` in a new container of img with
// the run options args and returns the field's value.
func procStatus(t *testing.T, e *testutil.Engine, img, field string, args ...string) string {
	t.Helper()
	full := append(append([]string{"run", "--rm"}, args...), img, "grep", "^"+field+":", "/proc/self/status")
	out := e.Must(t, full...)
	_, v, _ := strings.Cut(out, ":")
	return strings.TrimSpace(v)
}

// nsLink is a shell command printing the target of /proc/self/ns/NAME (the
// busybox images here have no readlink).
func nsLink(name string) string {
	return `stat -c %N /proc/self/ns/` + name + ` | sed "s/.*-> //; s/'//g"`
}

// capCount counts the capabilities in a hex capability mask.
func capCount(t *testing.T, hex string) int {
	t.Helper()
	n, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("capability mask %q: %v", hex, err)
	}
	c := 0
	for ; n != 0; n &= n - 1 {
		c++
	}
	return c
}

func TestSecurityDefaults(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		if got := procStatus(t, e, img, "CapEff"); got != dockerDefaultCaps {
			t.Errorf("[%s] CapEff %s, want docker's default set %s", e.Mode(), got, dockerDefaultCaps)
		}
		if got := procStatus(t, e, img, "Seccomp"); got != "2" {
			t.Errorf("[%s] Seccomp %s, want 2 (filter): the default profile", e.Mode(), got)
		}
		if got := procStatus(t, e, img, "NoNewPrivs"); got != "0" {
			t.Errorf("[%s] NoNewPrivs %s, want 0", e.Mode(), got)
		}
		// /proc/sys is read-only, /proc/keys and /proc/interrupts masked (podman's list), /sys read-only.
		script := `echo x > /proc/sys/kernel/domainname 2>/dev/null && echo wrote-proc-sys
wc -c < /proc/keys; wc -c < /proc/interrupts
grep -q ' /sys sysfs ro,' /proc/mounts && echo sys-ro
touch /sys/x 2>/dev/null && echo wrote-sys
exit 0`
		wantOut(t, e, e.Run("run", "--rm", img, "sh", "-c", script), "0\n0\nsys-ro\n")
		// pid, ipc, uts and mount namespaces of its own.
		nsOut := e.Must(t, "run", "--rm", img, "sh", "-c", "for n in pid ipc uts mnt; do "+nsLink("$n")+"; done")
		for _, l := range strings.Fields(nsOut) {
			kind, _, _ := strings.Cut(l, ":")
			if host, _ := os.Readlink("/proc/self/ns/" + kind); host == l {
				t.Errorf("[%s] container shares the host's %s namespace (%s)", e.Mode(), kind, l)
			}
		}
		e.Must(t, "create", "--name", "d", img, "true")
		var d struct {
			EffectiveCaps []string
			HostConfig    struct {
				PidMode, IpcMode, UTSMode string
				Privileged                bool
				CapAdd                    []string
			}
		}
		out := e.Must(t, "inspect", "d")
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || json.Unmarshal(list[0], &d) != nil {
			t.Fatalf("[%s] inspect d: %v\n%s", e.Mode(), err, out)
		}
		if len(d.EffectiveCaps) != 14 || d.HostConfig.PidMode != "private" || d.HostConfig.IpcMode != "shareable" ||
			d.HostConfig.UTSMode != "private" || d.HostConfig.Privileged || len(d.HostConfig.CapAdd) != 0 {
			t.Errorf("[%s] inspect defaults: %+v", e.Mode(), d)
		}
	})
}

func TestSecurityCapabilities(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		// CAP_NET_ADMIN is bit 12.
		if got := procStatus(t, e, img, "CapEff", "--cap-drop", "all", "--cap-add", "net_admin"); got != "0000000000001000" {
			t.Errorf("[%s] --cap-drop all --cap-add net_admin: CapEff %s, want 0000000000001000", e.Mode(), got)
		}
		if got := procStatus(t, e, img, "CapBnd", "--cap-drop", "CAP_CHOWN", "--cap-drop", "Net_Raw"); got != "00000000a80405fa" {
			t.Errorf("[%s] --cap-drop CAP_CHOWN,Net_Raw: CapBnd %s, want 00000000a80405fa", e.Mode(), got)
		}
		if got, bnd := procStatus(t, e, img, "CapEff", "--cap-add", "ALL"), procStatus(t, e, img, "CapBnd", "--cap-add", "ALL"); got != bnd || capCount(t, got) < 38 {
			t.Errorf("[%s] --cap-add ALL: CapEff %s, CapBnd %s, want all the engine has (38 or more)", e.Mode(), got, bnd)
		}
		// A non-root user gets only the added capabilities, also as ambient ones.
		for _, f := range []string{"CapEff", "CapAmb"} {
			if got := procStatus(t, e, img, f, "-u", "65534", "--cap-add", "net_admin"); got != "0000000000001000" {
				t.Errorf("[%s] -u 65534 --cap-add net_admin: %s %s, want 0000000000001000", e.Mode(), f, got)
			}
		}
		if got := procStatus(t, e, img, "CapEff", "-u", "65534"); got != "0000000000000000" {
			t.Errorf("[%s] -u 65534: CapEff %s, want none", e.Mode(), got)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--cap-add", "foo"}, `"CAP_FOO": unknown capability`},
			{[]string{"--cap-drop", "cap_nothing"}, "unknown capability"},
			{[]string{"--cap-add", "all", "--cap-drop", "ALL"}, "adding all caps and removing all caps not allowed"},
			{[]string{"--cap-add", "chown", "--cap-drop", "chown"}, "cannot be dropped and added"},
		} {
			res := e.Run(append(append([]string{"run", "--rm"}, tc.args...), img, "true")...)
			wantError(t, e, res, 125, false, tc.want)
		}
		noContainers(t, e, "bad capabilities")
	})
}

func TestSecuritySeccompAndOpts(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		if got := procStatus(t, e, img, "Seccomp", "--security-opt", "seccomp=unconfined"); got != "0" {
			t.Errorf("[%s] seccomp=unconfined: Seccomp %s, want 0", e.Mode(), got)
		}
		if got := procStatus(t, e, img, "NoNewPrivs", "--security-opt", "no-new-privileges"); got != "1" {
			t.Errorf("[%s] no-new-privileges: NoNewPrivs %s, want 1", e.Mode(), got)
		}
		// A profile of our own: everything allowed but mkdir and mkdirat (EPERM).
		prof := userFile(t, e, "seccomp.json", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
			{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`)
		res := e.Run("run", "--rm", "--security-opt", "seccomp="+prof, img, "sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?")
		if res.Code != 0 || !strings.Contains(res.Stdout, "Operation not permitted") || !strings.Contains(res.Stdout, "rc=1") {
			t.Errorf("[%s] %s: want mkdir refused with EPERM\n%s", e.Mode(), res.Cmd, res)
		}
		// mask= hides a path, unmask=ALL lifts the default masks and read-only paths.
		script := `wc -c < /etc/hostname; grep -c -e ' /proc/sys ' -e ' /proc/keys ' /proc/mounts; true`
		wantOut(t, e, e.Run("run", "--rm", "--security-opt", "mask=/etc/hostname", "--security-opt", "unmask=ALL", img, "sh", "-c", script), "0\n0\n")
		for _, tc := range []struct{ opt, want string }{
			{"foo", `invalid --security-opt "foo"`},
			{"seccomp=/nonexistent/profile.json", "opening seccomp profile failed"},
			{"mask=relative", "not an absolute path"},
			{"no-new-privileges=maybe", "no-new-privileges takes true or false"},
		} {
			wantError(t, e, e.Run("run", "--rm", "--security-opt", tc.opt, img, "true"), 125, false, tc.want)
		}
		bad := userFile(t, e, "bad.json", `{"defaultAction":"SCMP_ACT_NOPE"}`)
		wantError(t, e, e.Run("create", "--security-opt", "seccomp="+bad, img, "true"), 125, false, "loading seccomp profile")
		noContainers(t, e, "bad --security-opt")
	})
}

func TestSecurityPrivileged(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		if eff, bnd := procStatus(t, e, img, "CapEff", "--privileged"), procStatus(t, e, img, "CapBnd", "--privileged"); eff != bnd || capCount(t, eff) < 38 {
			t.Errorf("[%s] --privileged: CapEff %s, CapBnd %s, want all the engine has (38 or more)", e.Mode(), eff, bnd)
		}
		script := `grep '^Seccomp:' /proc/self/status | tr -d '\t'
grep -q ' /sys sysfs rw,' /proc/mounts && echo sys-rw
grep -c -e ' /proc/sys ' -e ' /proc/keys ' /proc/mounts
test -c /dev/loop-control && echo host-devices`
		wantOut(t, e, e.Run("run", "--rm", "--privileged", img, "sh", "-c", script), "Seccomp:0\nsys-rw\n0\nhost-devices\n")
		e.Must(t, "create", "--name", "p", "--privileged", img, "true")
		if got := strings.TrimSpace(e.Must(t, "inspect", "--format", "{{.HostConfig.Privileged}}", "p")); got != "true" {
			t.Errorf("[%s] inspect Privileged %q, want true", e.Mode(), got)
		}
	})
}

func TestSecurityDevices(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		out := e.Must(t, "run", "--rm", "--device", "/dev/null:/dev/mynull", "--device", "/dev/zero:rw", img,
			"sh", "-c", "stat -c '%t:%T %F' /dev/mynull /dev/zero; head -c 2 /dev/zero | wc -c")
		if want := "1:3 character special file\n1:5 character special file\n2"; out != want {
			t.Errorf("[%s] --device: %q, want %q", e.Mode(), out, want)
		}
		if !e.Rootless() {
			// The device cgroup grants only the permissions asked for (/dev/kmsg is
			// outside the default allow list; reading it needs CAP_SYSLOG; opening it
			// for writing writes nothing).
			res := e.Run("run", "--rm", "--cap-add", "syslog", "--device", "/dev/kmsg:/dev/k:r", img,
				"sh", "-c", "head -c1 /dev/k >/dev/null && echo read-ok; : > /dev/k")
			if res.Code == 0 || res.Stdout != "read-ok\n" || !strings.Contains(res.Stderr, "Operation not permitted") {
				t.Errorf("[%s] device cgroup: %s", e.Mode(), res)
			}
		}
		e.Must(t, "create", "--name", "dv", "--device", "/dev/null:/dev/mynull:r", img, "true")
		var h struct {
			Devices []struct{ PathOnHost, PathInContainer, CgroupPermissions string }
		}
		inspectHost(t, e, "dv", &h)
		if len(h.Devices) != 1 || h.Devices[0].PathOnHost != "/dev/null" || h.Devices[0].PathInContainer != "/dev/mynull" || h.Devices[0].CgroupPermissions != "r" {
			t.Errorf("[%s] inspect Devices: %+v", e.Mode(), h.Devices)
		}
		for _, tc := range []struct{ dev, want string }{
			{"/dev/nonexistent", "no such file or directory"},
			{"/etc/passwd", "is not a device"},
			{"/dev/null:rwx", "bad permissions"},
		} {
			wantError(t, e, e.Run("run", "--rm", "--device", tc.dev, img, "true"), 125, false, tc.want)
		}
		e.Must(t, "rm", "dv")
		noContainers(t, e, "bad --device")
	})
}

func TestSecurityNamespaces(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		host, _ := os.Hostname()
		wantOut(t, e, e.Run("run", "--rm", "--uts", "host", img, "hostname"), host+"\n")
		hostIPC, _ := os.Readlink("/proc/self/ns/ipc")
		wantOut(t, e, e.Run("run", "--rm", "--ipc", "host", img, "sh", "-c", nsLink("ipc")), hostIPC+"\n")
		// --pid host: this test's own process is visible.
		self := strconv.Itoa(os.Getpid())
		wantOut(t, e, e.Run("run", "--rm", "--pid", "host", img, "sh", "-c", "test -d /proc/"+self+" && echo seen"), "seen\n")

		// container:NAME joins a running container's namespaces.
		runDetached(t, e, "--name", "holder", "--hostname", "holder-host", img, "sleep", "60")
		out := e.Must(t, "run", "--rm", "--pid", "container:holder", "--ipc", "container:holder", "--uts", "container:holder", img,
			"sh", "-c", "hostname; ps -o comm | grep -c sleep; "+nsLink("ipc"))
		holderIPC := e.Must(t, "exec", "holder", "sh", "-c", nsLink("ipc"))
		if want := "holder-host\n1\n" + holderIPC; out != want {
			t.Errorf("[%s] joined namespaces: %q, want %q", e.Mode(), out, want)
		}
		e.Must(t, "create", "--name", "joiner", "--pid", "container:holder", img, "true")
		var h struct{ PidMode string }
		inspectHost(t, e, "joiner", &h)
		if !strings.HasPrefix(h.PidMode, "container:") || len(h.PidMode) != len("container:")+64 {
			t.Errorf("[%s] inspect PidMode %q, want container:<64-hex id>", e.Mode(), h.PidMode)
		}
		e.Must(t, "rm", "joiner")
		e.Must(t, "stop", "-t", "0", "holder")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--pid", "container:holder"}, "not running"},
			{[]string{"--ipc", "container:nonexistent"}, "no such container"},
			{[]string{"--pid", "foo"}, "unrecognized namespace mode foo"},
			{[]string{"--uts", "host", "--hostname", "x"}, "cannot set hostname"},
			{[]string{"--userns", "bogus"}, "invalid --userns"},
		} {
			wantError(t, e, e.Run(append(append([]string{"run", "--rm"}, tc.args...), img, "true")...), 125, false, tc.want)
		}
		if !e.Rootless() {
			wantError(t, e, e.Run("run", "--rm", "--userns", "keep-id", img, "true"), 125, false, "only supported in rootless mode")
		}
		e.Must(t, "rm", "holder")
		noContainers(t, e, "bad namespace options")
	})
}

func TestSecuritySysctlAndGroups(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		wantOut(t, e, e.Run("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=123456", img,
			"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmax"), "1\n123456\n")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--sysctl", "kernel.panic=1"}, `sysctl "kernel.panic" is not allowed`},
			{[]string{"--sysctl", "net.ipv4.ip_forward"}, "KEY=VALUE"},
			{[]string{"--ipc", "host", "--sysctl", "kernel.shmmax=1"}, "IPC Namespace set to host"},
			{[]string{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"}, "Network Namespace set to host"},
			{[]string{"--group-add", "a:b"}, "invalid --group-add"},
		} {
			wantError(t, e, e.Run(append(append([]string{"run", "--rm"}, tc.args...), img, "true")...), 125, false, tc.want)
		}
		noContainers(t, e, "bad --sysctl")
		// --group-add by number and by name (the image's /etc/group has app:1000).
		wantOut(t, e, e.Run("run", "--rm", "-u", "65534", "--group-add", "app", "--group-add", "20", img, "sh", "-c", "id -G | tr ' ' '\\n' | sort -n | tr '\\n' ' '"), "20 1000 65534 ")
	})
}
