package engine

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseVolumeFlag(t *testing.T) {
	tests := []struct {
		in   string
		want Mount
	}{
		{"/h:/c", Mount{Type: MountBind, Source: "/h", Destination: "/c"}},
		{"/h/:/c/../d/:ro,z", Mount{Type: MountBind, Source: "/h", Destination: "/d", ReadOnly: true}},
		{"/h:/c:rw,Z,U,rslave,noexec", Mount{Type: MountBind, Source: "/h", Destination: "/c", Chown: true, Propagation: "rslave", Options: []string{"noexec"}}},
		{"vol:/c", Mount{Type: MountVolume, Source: "vol", Destination: "/c"}},
		{"v.1_x-y:/c:nocopy,ro", Mount{Type: MountVolume, Source: "v.1_x-y", Destination: "/c", NoCopy: true, ReadOnly: true}},
	}
	for _, tt := range tests {
		got, err := ParseVolumeFlag(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVolumeFlag(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	anon, err := ParseVolumeFlag("/data")
	if err != nil || anon.Type != MountVolume || !anon.Anonymous || len(anon.Source) != 64 || anon.Destination != "/data" {
		t.Errorf("ParseVolumeFlag(/data) = %+v, %v; want an anonymous volume", anon, err)
	}
	for _, bad := range []string{"", "rel", "a/b:/c", "_x:/c", "/h:c", "/h:/", "/h:/c:ro,rw", "/h:/c:bogus",
		"/h:/c:nocopy", "/h:/c:shared,slave", "/a:/b:/c:/d", ":/c"} {
		if _, err := ParseVolumeFlag(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ParseVolumeFlag(%q) error = %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestParseMountFlag(t *testing.T) {
	tests := []struct {
		in   string
		want Mount
	}{
		{"type=bind,src=/h,dst=/c,ro", Mount{Type: MountBind, Source: "/h", Destination: "/c", ReadOnly: true}},
		{"type=bind,source=/h,target=/c,readonly=false,bind-propagation=shared,bind-create",
			Mount{Type: MountBind, Source: "/h", Destination: "/c", Propagation: "shared", Create: true}},
		{"type=volume,src=v,destination=/c,volume-nocopy", Mount{Type: MountVolume, Source: "v", Destination: "/c", NoCopy: true}},
		{"type=tmpfs,dst=/t,tmpfs-size=1m", Mount{Type: MountTmpfs, Destination: "/t", Options: []string{"size=1048576"}}},
		{"type=tmpfs,dst=/t,tmpfs-mode=1777", Mount{Type: MountTmpfs, Destination: "/t", Options: []string{"mode=1777"}}},
		{"src=v,dst=/c", Mount{Type: MountVolume, Source: "v", Destination: "/c"}},
		{"src=v,dst=/c,rw=false", Mount{Type: MountVolume, Source: "v", Destination: "/c", ReadOnly: true}},
	}
	for _, tt := range tests {
		got, err := ParseMountFlag(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMountFlag(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	if m, err := ParseMountFlag("type=volume,dst=/c"); err != nil || !m.Anonymous {
		t.Errorf("volume without source = %+v, %v; want anonymous", m, err)
	}
	for _, bad := range []string{"", "type=nfs,dst=/c", "type=bind,dst=/c", "type=bind,src=/h", "type=bind,src=h,dst=/c",
		"type=tmpfs,src=x,dst=/c", "type=bind,src=/h,dst=/c,tmpfs-size=1m", "type=tmpfs,dst=/c,tmpfs-size=x",
		"type=tmpfs,dst=/c,tmpfs-mode=9", "type=bind,src=/h,dst=/c,ro=maybe", "type=bind,src=/h,dst=/c,dst=/d",
		"type=volume,src=a/b,dst=/c", "type=bind,src=/h,dst=c", "type=bind,src=/h,dst=/c,bogus"} {
		if _, err := ParseMountFlag(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ParseMountFlag(%q) error = %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestParseTmpfsFlag(t *testing.T) {
	got, err := ParseTmpfsFlag("/t:size=64m,mode=1777,noexec,ro")
	want := Mount{Type: MountTmpfs, Destination: "/t", ReadOnly: true, Options: []string{"size=67108864", "mode=1777", "noexec"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseTmpfsFlag = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"t", "/", "/t:size=big", "/t:mode=8", "/t:bogus", "/t:size=-1"} {
		if _, err := ParseTmpfsFlag(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ParseTmpfsFlag(%q) error = %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestMountOrderAndOverrides(t *testing.T) {
	base := []Mount{{Type: MountVolume, Source: "a", Destination: "/x"}, {Type: MountBind, Source: "/h", Destination: "/y"}}
	over := []Mount{{Type: MountTmpfs, Destination: "/x"}}
	got := overrideByDestination(base, over)
	if len(got) != 2 || got[0].Destination != "/y" || got[1].Type != MountTmpfs {
		t.Errorf("overrideByDestination = %+v", got)
	}
	img := addImageVolumes(got, map[string]struct{}{"/x": {}, "/z/": {}, "rel": {}}, MountVolume)
	if len(img) != 3 || img[2].Destination != "/z" || !img[2].Anonymous {
		t.Errorf("addImageVolumes = %+v; want one anonymous volume at /z", img)
	}
	if tm := addImageVolumes(nil, map[string]struct{}{"/z": {}}, MountTmpfs); len(tm) != 1 || tm[0].Type != MountTmpfs || tm[0].Source != "" {
		t.Errorf("addImageVolumes(tmpfs) = %+v", tm)
	}
	if err := checkDuplicates(append(img, Mount{Destination: "/y"})); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("checkDuplicates: %v", err)
	}
}
