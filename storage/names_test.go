package storage

import (
	"archive/tar"
	"bytes"
	"errors"
	"testing"

	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox", "localhost/busybox:latest"},
		{"busybox:1.36", "localhost/busybox:1.36"},
		{"demo/busybox", "localhost/demo/busybox:latest"},
		{"docker.io/busybox", "docker.io/library/busybox:latest"},
		{"127.0.0.1:5000/a/b:2", "127.0.0.1:5000/a/b:2"},
		{"localhost/x", "localhost/x:latest"},
		{"quay.io/x/y@sha256:" + sixtyFour, "quay.io/x/y@sha256:" + sixtyFour},
	}
	for _, tt := range tests {
		got, err := NormalizeName(tt.in)
		if err != nil {
			t.Errorf("NormalizeName(%q): %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a::b", "sha256:" + sixtyFour, "x/../y"} {
		if _, err := NormalizeName(bad); !errors.Is(err, ErrBadReference) {
			t.Errorf("NormalizeName(%q): got %v, want ErrBadReference", bad, err)
		}
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestSplitTransport(t *testing.T) {
	tests := []struct {
		in, transport string
		bad           bool
	}{
		{"busybox", "", false},
		{"127.0.0.1:5000/busybox", "", false},
		{"docker://busybox", "docker", false},
		{"oci:/tmp/layout:tag", "oci", false},
		{"oci-archive:/tmp/a.tar", "oci-archive", false},
		{"docker-archive:/tmp/a.tar", "docker-archive", false},
		{"dir:/tmp/d", "dir", false},
		{"foo://bar", "", true},
	}
	for _, tt := range tests {
		tr, _, err := splitTransport(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("splitTransport(%q): want error", tt.in)
			}
			continue
		}
		got := ""
		if tr != nil {
			got = tr.Name()
		}
		if err != nil || got != tt.transport {
			t.Errorf("splitTransport(%q) = %q, %v; want %q", tt.in, got, err, tt.transport)
		}
	}
}

func TestReferenceMatches(t *testing.T) {
	names := []string{"127.0.0.1:5000/demo/busybox:1"}
	for _, p := range []string{"demo/busybox", "demo/busybox:1", "*/busybox*", "127.0.0.1:5000/demo/busybox:1", "demo/*"} {
		if !referenceMatches(p, names) {
			t.Errorf("pattern %q should match %v", p, names)
		}
	}
	for _, p := range []string{"busybox:2", "other", "demo/busybox:2"} {
		if referenceMatches(p, names) {
			t.Errorf("pattern %q should not match %v", p, names)
		}
	}
}

func TestCheckLayerTar(t *testing.T) {
	type entry struct {
		name, link string
		typ        byte
	}
	tests := []struct {
		name    string
		entries []entry
		ok      bool
	}{
		{"plain", []entry{{"bin/", "", tar.TypeDir}, {"bin/busybox", "", tar.TypeReg}, {"bin/sh", "busybox", tar.TypeSymlink}}, true},
		{"absolute symlink target is fine", []entry{{"bin/sh", "/bin/busybox", tar.TypeSymlink}}, true},
		{"dotdot inside", []entry{{"a/../b", "", tar.TypeReg}}, true},
		{"absolute path", []entry{{"/etc/passwd", "", tar.TypeReg}}, false},
		{"climbs out", []entry{{"../../etc/passwd", "", tar.TypeReg}}, false},
		{"symlink escapes", []entry{{"evil", "../../..", tar.TypeSymlink}}, false},
		{"write through symlink", []entry{{"evil", "/etc", tar.TypeSymlink}, {"evil/passwd", "", tar.TypeReg}}, false},
		{"hard link outside", []entry{{"x", "../../etc/shadow", tar.TypeLink}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, e := range tt.entries {
				h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o755}
				if err := tw.WriteHeader(h); err != nil {
					t.Fatal(err)
				}
			}
			tw.Close()
			err := checkLayerTar(&buf)
			if tt.ok && err != nil {
				t.Errorf("got %v, want no error", err)
			}
			if !tt.ok && !errors.Is(err, ErrUnsafeArchive) {
				t.Errorf("got %v, want ErrUnsafeArchive", err)
			}
		})
	}
	if err := checkLayerTar(bytes.NewReader([]byte("not a tarball at all"))); err == nil {
		t.Error("garbage input: want error")
	}
}

func TestApplyChanges(t *testing.T) {
	var c imgspec.ImageConfig
	err := applyChanges(&c, []string{`CMD ["sh","-c","echo hi"]`, "ENTRYPOINT /init", "ENV A=1 B=2", "LABEL k=v",
		"EXPOSE 80 53/udp", "USER app", "WORKDIR /srv", `VOLUME ["/data"]`, "STOPSIGNAL SIGINT"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cmd) != 3 || c.Cmd[2] != "echo hi" {
		t.Errorf("Cmd = %q", c.Cmd)
	}
	if len(c.Entrypoint) != 3 || c.Entrypoint[2] != "/init" {
		t.Errorf("Entrypoint = %q", c.Entrypoint)
	}
	if len(c.Env) != 2 || c.Labels["k"] != "v" || c.User != "app" || c.WorkingDir != "/srv" || c.StopSignal != "SIGINT" {
		t.Errorf("config = %+v", c)
	}
	if _, ok := c.ExposedPorts["53/udp"]; !ok {
		t.Errorf("ExposedPorts = %v", c.ExposedPorts)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("Volumes = %v", c.Volumes)
	}
	for _, bad := range []string{"FROB x", "USER"} {
		if err := applyChanges(&c, []string{bad}); err == nil {
			t.Errorf("change %q: want error", bad)
		}
	}
}
