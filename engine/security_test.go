package engine

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// equalJSON compares two values by their JSON encoding (nil and empty agree).
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

func TestSecurityOptionsParse(t *testing.T) {
	tests := []struct {
		name string
		in   SecurityOptions
		want func(SecurityConfig) bool
		err  string
	}{
		{name: "caps any case, prefix optional", in: SecurityOptions{CapAdd: []string{"net_admin", "CAP_SYS_PTRACE"}, CapDrop: []string{"Chown"}},
			want: func(sc SecurityConfig) bool {
				return slices.Equal(sc.CapAdd, []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE"}) && slices.Equal(sc.CapDrop, []string{"CAP_CHOWN"})
			}},
		{name: "cap all", in: SecurityOptions{CapDrop: []string{"all"}}, want: func(sc SecurityConfig) bool { return slices.Equal(sc.CapDrop, []string{"ALL"}) }},
		{name: "unknown cap", in: SecurityOptions{CapAdd: []string{"foo"}}, err: `"CAP_FOO": unknown capability`},
		{name: "add and drop all", in: SecurityOptions{CapAdd: []string{"ALL"}, CapDrop: []string{"all"}}, err: "adding all caps and removing all caps"},
		{name: "add and drop one", in: SecurityOptions{CapAdd: []string{"chown"}, CapDrop: []string{"CAP_CHOWN"}}, err: "cannot be dropped and added"},
		{name: "security opts", in: SecurityOptions{SecurityOpts: []string{"no-new-privileges", "seccomp=unconfined", "mask=/a:/b", "unmask=ALL", "label=disable"}},
			want: func(sc SecurityConfig) bool {
				return sc.NoNewPrivileges && sc.Seccomp == "unconfined" && slices.Equal(sc.Mask, []string{"/a", "/b"}) &&
					slices.Equal(sc.Unmask, []string{"ALL"}) && len(sc.SecurityOpt) == 5
			}},
		{name: "unknown security opt", in: SecurityOptions{SecurityOpts: []string{"foo"}}, err: `invalid --security-opt "foo"`},
		{name: "relative mask", in: SecurityOptions{SecurityOpts: []string{"mask=proc"}}, err: "not an absolute path"},
		{name: "selinux label", in: SecurityOptions{SecurityOpts: []string{"label=type:foo"}}, err: "no SELinux"},
		{name: "devices", in: SecurityOptions{Devices: []string{"/dev/a", "/dev/b:/dev/c", "/dev/d:r", "/dev/e:/dev/f:rw"}},
			want: func(sc SecurityConfig) bool {
				return equalJSON(t, sc.Devices, []DeviceMapping{{"/dev/a", "/dev/a", "rwm"}, {"/dev/b", "/dev/c", "rwm"}, {"/dev/d", "/dev/d", "r"}, {"/dev/e", "/dev/f", "rw"}})
			}},
		{name: "device bad perms", in: SecurityOptions{Devices: []string{"/dev/null:rwx"}}, err: "bad permissions"},
		{name: "device relative", in: SecurityOptions{Devices: []string{"null"}}, err: "must be absolute"},
		{name: "device too many parts", in: SecurityOptions{Devices: []string{"/a:/b:r:w"}}, err: "invalid device specification"},
		{name: "namespaces", in: SecurityOptions{PID: "host", IPC: "shareable", UTS: "container:x"},
			want: func(sc SecurityConfig) bool { return sc.PID == "host" && sc.IPC == "" && sc.UTS == "container:x" }},
		{name: "bad namespace", in: SecurityOptions{PID: "foo"}, err: "unrecognized namespace mode foo"},
		{name: "empty container namespace", in: SecurityOptions{IPC: "container:"}, err: "unrecognized namespace mode"},
		{name: "userns", in: SecurityOptions{UserNS: "nope"}, err: "invalid --userns"},
		{name: "sysctls", in: SecurityOptions{Sysctls: []string{"net.ipv4.ip_forward=1", "kernel.shmmax=100"}},
			want: func(sc SecurityConfig) bool {
				return sc.Sysctls["net.ipv4.ip_forward"] == "1" && sc.Sysctls["kernel.shmmax"] == "100"
			}},
		{name: "sysctl not namespaced", in: SecurityOptions{Sysctls: []string{"kernel.panic=1"}}, err: "not allowed"},
		{name: "sysctl malformed", in: SecurityOptions{Sysctls: []string{"net.ipv4.ip_forward"}}, err: "KEY=VALUE"},
		{name: "sysctl ipc host", in: SecurityOptions{IPC: "host", Sysctls: []string{"kernel.shmmax=1"}}, err: "IPC Namespace set to host"},
		{name: "group-add", in: SecurityOptions{GroupAdd: []string{"a:b"}}, err: "invalid --group-add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Parse()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidArg) {
					t.Fatalf("Parse(%+v) error = %v, want one containing %q wrapping ErrInvalidArg", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%+v): %v", tt.in, err)
			}
			if !tt.want(got) {
				t.Errorf("Parse(%+v) = %+v", tt.in, got)
			}
		})
	}
}

func TestMaskedAndReadonly(t *testing.T) {
	sc := SecurityConfig{Mask: []string{"/etc/x"}, Unmask: []string{"/proc/k*", "/proc/sys"}}
	masked, ro := sc.maskedAndReadonly()
	if slices.Contains(masked, "/proc/kcore") || slices.Contains(masked, "/proc/keys") || !slices.Contains(masked, "/proc/acpi") || !slices.Contains(masked, "/etc/x") {
		t.Errorf("masked = %v: want /proc/k* unmasked, /proc/acpi and /etc/x masked", masked)
	}
	if slices.Contains(ro, "/proc/sys") || !slices.Contains(ro, "/proc/sysrq-trigger") {
		t.Errorf("readonly = %v: want /proc/sys unmasked, /proc/sysrq-trigger kept", ro)
	}
	priv := SecurityConfig{Privileged: true}
	if m, r := priv.maskedAndReadonly(); len(m)+len(r) != 0 {
		t.Errorf("privileged: masked %v readonly %v, want none", m, r)
	}
}

func TestSpecCaps(t *testing.T) {
	sc := SecurityConfig{CapAdd: []string{"CAP_NET_ADMIN"}, CapDrop: []string{"CAP_CHOWN"}}
	root := &specs.Process{}
	if err := sc.specCaps(root); err != nil {
		t.Fatal(err)
	}
	c := root.Capabilities
	if !slices.Contains(c.Effective, "CAP_NET_ADMIN") || slices.Contains(c.Bounding, "CAP_CHOWN") || !slices.Contains(c.Bounding, "CAP_KILL") {
		t.Errorf("root caps = %+v: want docker's defaults + NET_ADMIN - CHOWN", c)
	}
	user := &specs.Process{User: specs.User{UID: 1000}}
	if err := sc.specCaps(user); err != nil {
		t.Fatal(err)
	}
	if u := user.Capabilities; !slices.Equal(u.Effective, []string{"CAP_NET_ADMIN"}) || !slices.Equal(u.Ambient, []string{"CAP_NET_ADMIN"}) {
		t.Errorf("user caps = %+v: want only the added NET_ADMIN effective and ambient", u)
	}
}
