package engine

import (
	"errors"
	"reflect"
	"testing"

	"go.podman.io/storage/pkg/idtools"
)

func TestParseUserNS(t *testing.T) {
	good := map[string]UserNS{
		"":                    {Mode: "", UID: -1, GID: -1},
		"host":                {Mode: "host", UID: -1, GID: -1},
		"keep-id":             {Mode: "keep-id", UID: -1, GID: -1},
		"keep-id:uid=5,gid=6": {Mode: "keep-id", UID: 5, GID: 6},
		"auto:size=4096":      {Mode: "auto", UID: -1, GID: -1, Size: 4096},
	}
	for in, want := range good {
		got, err := parseUserNS(in)
		if err != nil || got != want {
			t.Errorf("parseUserNS(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"bogus", "host:x=1", "auto:size=0", "auto:size=x", "auto:uid=1", "keep-id:size=5", "keep-id:uid"} {
		if _, err := parseUserNS(in); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("parseUserNS(%q): %v, want ErrInvalidArg", in, err)
		}
	}
}

func TestKeepID(t *testing.T) {
	// The user (1000) is 0 of a namespace of 65537 ids: 1000 stays 1000 inside.
	want := []idtools.IDMap{{ContainerID: 1000, HostID: 0, Size: 1}, {ContainerID: 0, HostID: 1, Size: 1000},
		{ContainerID: 1001, HostID: 1001, Size: 64536}}
	if got := keepID(1000, 65537); !reflect.DeepEqual(got, want) {
		t.Errorf("keepID(1000, 65537) = %v, want %v", got, want)
	}
	// An id above what the namespace holds: everything else below it.
	want = []idtools.IDMap{{ContainerID: 70000, HostID: 0, Size: 1}, {ContainerID: 0, HostID: 1, Size: 65536}}
	if got := keepID(70000, 65537); !reflect.DeepEqual(got, want) {
		t.Errorf("keepID(70000, 65537) = %v, want %v", got, want)
	}
	if got := keepID(0, 1); !reflect.DeepEqual(got, []idtools.IDMap{{ContainerID: 0, HostID: 0, Size: 1}}) {
		t.Errorf("keepID(0, 1) = %v", got)
	}
}
