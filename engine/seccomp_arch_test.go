package engine

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestTrimSeccompArches(t *testing.T) {
	all := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	prof := &specs.LinuxSeccomp{Architectures: slices.Clone(all)}
	orig := prof.Architectures
	trimSeccompArches(prof)
	if !slices.Equal(orig, all) {
		t.Errorf("trim changed the caller's slice: %v", orig)
	}
	want := all
	if !kernelRunsX32() {
		want = all[:2]
	}
	if !slices.Equal(prof.Architectures, want) {
		t.Errorf("architectures %v, want %v (kernel runs x32: %v)", prof.Architectures, want, kernelRunsX32())
	}
	// A profile without x32 is left as it is, and nil is no profile.
	other := &specs.LinuxSeccomp{Architectures: []specs.Arch{specs.ArchAARCH64}}
	trimSeccompArches(other)
	trimSeccompArches(nil)
	if !slices.Equal(other.Architectures, []specs.Arch{specs.ArchAARCH64}) {
		t.Errorf("aarch64 profile became %v", other.Architectures)
	}
}

// The probe agrees with the kernel's build configuration where that is readable.
func TestKernelRunsX32MatchesConfig(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		if !kernelRunsX32() {
			t.Fatal("x32 is only probed on amd64; elsewhere it must be kept")
		}
		return
	}
	cfg := kernelConfig(t)
	built := bytes.Contains(cfg, []byte("\nCONFIG_X86_X32_ABI=y"))
	got := kernelRunsX32()
	if !built && got {
		t.Errorf("kernel built without CONFIG_X86_X32_ABI, probe says x32 runs")
	}
	if built && !got && !bytes.Contains(cfg, []byte("X32_ABI_DISABLE")) && !confinedBySeccomp() {
		// Built in but off at boot (syscall.x32=n) is the only other way to ENOSYS.
		cmdline, _ := os.ReadFile("/proc/cmdline")
		if !bytes.Contains(cmdline, []byte("syscall.x32=n")) {
			t.Errorf("kernel built with x32 and not disabled at boot, probe says it does not run")
		}
	}
}

// kernelConfig reads /proc/config.gz or /boot/config-RELEASE.
func kernelConfig(t *testing.T) []byte {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/boot/config-" + unix.ByteSliceToString(uts.Release[:]))
	if err != nil {
		t.Skipf("no kernel config (/proc/config.gz, /boot/config-*) to compare with: %v", err)
	}
	return b
}
