package netcni

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSetupTeardown measures one container's network setup and teardown on
// a store's default bridge network, as `run --rm` pays them, without and with a
// published port. It needs root and the plugins (CNI_PATH, e.g. bin/cni after
// `make cni`):
//
//	CNI_PATH=$PWD/bin/cni go test -run - -bench SetupTeardown ./netcni/
func BenchmarkSetupTeardown(b *testing.B) {
	if os.Geteuid() != 0 || os.Getenv("CNI_PATH") == "" {
		b.Skip("needs root and CNI_PATH")
	}
	b.Run("bridge", func(b *testing.B) { benchSetup(b, nil) })
	b.Run("port", func(b *testing.B) {
		benchSetup(b, []PortMapping{{HostIP: "127.0.0.1", HostPort: 18931, ContainerPort: 80, Protocol: "tcp"}})
	})
}

func benchSetup(b *testing.B, ports []PortMapping) {
	dir := b.TempDir()
	m := New(Options{GraphRoot: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run")})
	defer func() {
		if n, err := m.Get(DefaultNetwork); err == nil {
			_ = deleteBridgeIfIdle(m, n)
			unclaim(n.NetworkInterface, m.confPath(n.Name))
		}
	}()
	ctx := context.Background()
	run := filepath.Join(dir, "ctr")
	if err := os.MkdirAll(run, 0o700); err != nil {
		b.Fatal(err)
	}
	var setup, teardown time.Duration
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		_, err := m.Setup(ctx, SetupOptions{ContainerID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			Name: "bench", Hostname: "bench", RunDir: run, Networks: []Request{{Network: DefaultNetwork}}, Ports: ports})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := m.Teardown(ctx, run); err != nil {
			b.Fatal(err)
		}
		setup += t1.Sub(t0)
		teardown += time.Since(t1)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(setup.Milliseconds())/float64(b.N), "setup-ms/op")
	b.ReportMetric(float64(teardown.Milliseconds())/float64(b.N), "teardown-ms/op")
}

// cpuTime is the user and system time of this process and its waited-for children.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
