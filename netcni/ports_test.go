package netcni

import (
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParsePublish(t *testing.T) {
	tests := []struct {
		in   string
		want []PortMapping
	}{
		{"80", []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}},
		{"8080:80", []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}}},
		{"127.0.0.1::80", []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}}},
		{"8000-8001:80-81", []PortMapping{{HostPort: 8000, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 8001, ContainerPort: 81, Protocol: "tcp"}}},
		{"0.0.0.0:8080:80", []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{"90-91", []PortMapping{{ContainerPort: 90, Protocol: "tcp"}, {ContainerPort: 91, Protocol: "tcp"}}},
	}
	for _, tt := range tests {
		got, err := ParsePublish(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePublish(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "80:abc", "0", "70000", "1:2:3:4", "x.y:80:80", "80/sctp", "1-3:80-81", "81-80", "::1:80:80"} {
		if _, err := ParsePublish(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("ParsePublish(%q): err %v, want ErrInvalidArg", bad, err)
		}
	}
}

func TestPortMappingString(t *testing.T) {
	p := PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}
	if got := p.String(); got != "0.0.0.0:8080->80/tcp" {
		t.Errorf("String() = %q", got)
	}
}

func TestBindPortsTaken(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	_, err = bindPorts([]PortMapping{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80, Protocol: "tcp"}}, nil)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), strconv.Itoa(int(port))) {
		t.Errorf("bindPorts on a held port: %v, want ErrInUse naming %d", err, port)
	}
	got, err := bindPorts([]PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}}, nil)
	if err != nil || got[0].HostPort == 0 {
		t.Errorf("bindPorts with a random port: %+v, %v", got, err)
	}
	_, err = bindPorts([]PortMapping{{HostPort: 9999, ContainerPort: 80, Protocol: "tcp"}}, map[string]bool{"9999/tcp": true})
	if !errors.Is(err, ErrInUse) {
		t.Errorf("bindPorts on a port another container publishes: %v, want ErrInUse", err)
	}
}
