package engine

import (
	"bytes"
	"os"
	"runtime"
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x32SyscallBit marks a syscall number as the x32 ABI's on x86_64.
const x32SyscallBit = 0x40000000

// kernelRunsX32 reports whether this kernel executes x32 code. Kernels built
// without CONFIG_X86_X32_ABI (Debian's since 2022, this one) or booted with
// syscall.x32=n answer every x32 syscall with ENOSYS and refuse to exec an x32
// binary, so no process in a container can make one.
//
// The probe is an x32 getpid. It is made only when no seccomp filter confines
// engine itself: a filter without x32 (systemd's SystemCallArchitectures=native)
// would kill the probing process. Confined, engine assumes x32 runs.
var kernelRunsX32 = sync.OnceValue(func() bool {
	if runtime.GOARCH != "amd64" || confinedBySeccomp() {
		return true
	}
	_, _, errno := unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
	return errno != unix.ENOSYS
})

// confinedBySeccomp reads this process's seccomp mode; unreadable counts as
// confined.
func confinedBySeccomp() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	_, rest, ok := bytes.Cut(b, []byte("\nSeccomp:"))
	if !ok {
		return true
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	return string(bytes.TrimSpace(line)) != "0"
}

// trimSeccompArches drops the x32 ABI from a profile when the kernel cannot run
// x32 code. libseccomp's filter generation grows faster than linearly with
// its size, and x32 is a third of the architectures of podman's profile on
// x86_64: generating the filter in the container's init took about 25 ms of a
// `run`, about 8 ms less without x32. The filter then sends an x32 syscall
// number to the bad-architecture action (SIGSYS) instead of letting the kernel
// answer ENOSYS; nothing but a deliberate probe makes one on such a kernel.
func trimSeccompArches(prof *specs.LinuxSeccomp) {
	if prof == nil || !slices.Contains(prof.Architectures, specs.ArchX32) || kernelRunsX32() {
		return
	}
	prof.Architectures = slices.DeleteFunc(slices.Clone(prof.Architectures), func(a specs.Arch) bool { return a == specs.ArchX32 })
}
