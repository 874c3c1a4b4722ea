package netcni

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeSlirp serves slirp4netns's API on dir/slirp.sock: list_hostfwd answers
// entries (without a "return" member, as slirp4netns 1.2 does), add_hostfwd
// fails (the port is bound), remove_hostfwd records the id.
func fakeSlirp(t *testing.T, dir string, entries []hostfwd) *[]int {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(dir, slirpSocket))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	removed := &[]int{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var req struct {
				Execute   string         `json:"execute"`
				Arguments map[string]any `json:"arguments"`
			}
			_ = json.NewDecoder(bufio.NewReader(c)).Decode(&req)
			switch req.Execute {
			case "list_hostfwd":
				_ = json.NewEncoder(c).Encode(map[string]any{"entries": entries})
			case "add_hostfwd":
				_, _ = c.Write([]byte(`{"error":{"desc":"bad request: add_hostfwd: slirp_add_hostfwd failed"}}` + "\n"))
			case "remove_hostfwd":
				*removed = append(*removed, int(req.Arguments["id"].(float64)))
				_, _ = c.Write([]byte(`{"return":{}}` + "\n"))
			}
			c.Close()
		}
	}()
	return removed
}

func TestForwardsOf(t *testing.T) {
	m := &Manager{stateDir: t.TempDir(), rootless: true}
	if err := os.MkdirAll(m.rootlessDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	fakeSlirp(t, m.rootlessDir(), []hostfwd{
		{ID: 1, Proto: "tcp", HostAddr: "127.0.0.1", HostPort: 8080},
		{ID: 2, Proto: "tcp", HostAddr: "0.0.0.0", HostPort: 9090},
		{ID: 3, Proto: "udp", HostAddr: "0.0.0.0", HostPort: 9090},
	})
	cases := []struct {
		ports []PortMapping
		want  []int
	}{
		{[]PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, Protocol: "tcp"}}, []int{1}},
		{[]PortMapping{{HostPort: 9090, Protocol: "tcp"}}, []int{2}},
		{[]PortMapping{{HostPort: 9090, Protocol: "udp"}, {HostPort: 8080, Protocol: "tcp"}}, []int{3}},
		{[]PortMapping{{HostIP: "127.0.0.1", HostPort: 9090, Protocol: "tcp"}}, nil},
	}
	for _, c := range cases {
		if got := m.forwardsOf(c.ports); !slices.Equal(got, c.want) {
			t.Errorf("forwardsOf(%v) = %v, want %v", c.ports, got, c.want)
		}
	}
	// add_hostfwd fails; a forward that exists already is the container's own.
	if err := m.rootlessForward([]PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}); err != nil {
		t.Errorf("rootlessForward of an existing forward: %v", err)
	}
	if err := m.rootlessForward([]PortMapping{{HostPort: 7070, ContainerPort: 80, Protocol: "tcp"}}); err == nil {
		t.Errorf("rootlessForward of a port slirp4netns cannot bind: no error")
	}
}

func TestPortmapHostIP(t *testing.T) {
	p := PortMapping{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}
	if got := (&Manager{}).portmapHostIP(p); got != "127.0.0.1" {
		t.Errorf("root: portmap hostIP %q, want 127.0.0.1", got)
	}
	// Rootless, slirp4netns binds the host address; portmap sees tap0's.
	if got := (&Manager{rootless: true}).portmapHostIP(p); got != "" {
		t.Errorf("rootless: portmap hostIP %q, want any", got)
	}
}

func TestRootlessIdle(t *testing.T) {
	m := &Manager{stateDir: t.TempDir(), rootless: true}
	run := t.TempDir()
	if err := writeState(run, &State{ContainerID: "c1", Mode: "bridge"}); err != nil {
		t.Fatal(err)
	}
	if m.rootlessInUse() {
		t.Errorf("in use with no attachment")
	}
	if err := m.register(slirpNetwork, "c1", run); err != nil {
		t.Fatal(err)
	}
	if m.rootlessInUse() {
		t.Errorf("in use with only a slirp4netns container")
	}
	if err := m.register("net1", "c1", run); err != nil {
		t.Fatal(err)
	}
	if !m.rootlessInUse() {
		t.Errorf("not in use with a container on net1")
	}
	m.unregister("net1", "c1")
	if m.rootlessInUse() {
		t.Errorf("in use after the container left")
	}
	// Nothing to release: no netns was made.
	if err := m.releaseRootlessNetnsIfIdle(); err != nil {
		t.Errorf("release with nothing made: %v", err)
	}
}
