package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// mountNSEnv marks the re-executed benchmark, running in its private mount
// namespace.
const mountNSEnv = "ENGINE_BENCH_MOUNTNS"

// reexecInMountNS runs this program again in a new mount namespace and returns its
// exit code. Signals are passed on; an interactive ^C reaches both processes, and
// only the child acts on it (by cleaning up).
func reexecInMountNS() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), mountNSEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: starting in a new mount namespace (-mountns=false to skip):", err)
		return 1
	}
	go func() {
		for s := range sigs {
			if s != syscall.SIGINT { // ^C reaches the child from the terminal already
				_ = cmd.Process.Signal(s)
			}
		}
	}()
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exitErr.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// isolate makes this mount namespace's mounts private and hides the host's
// /var/lib/containers and /dev/shm behind directories of the benchmark (under
// base): containers/image writes its blob info cache to
// /var/lib/containers/cache as root whatever the store, and podman keeps its lock
// segment in /dev/shm, shared by every podman on the host. Only in the namespace
// made by reexecInMountNS.
func isolate(base string) error {
	if os.Getenv(mountNSEnv) == "" {
		return nil
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	varlib := filepath.Join(base, "var-lib-containers")
	if err := os.MkdirAll(varlib, 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll("/var/lib/containers", 0o700); err != nil {
		return err
	}
	if err := unix.Mount(varlib, "/var/lib/containers", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("private /var/lib/containers: %w", err)
	}
	if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=256m"); err != nil {
		return fmt.Errorf("private /dev/shm: %w", err)
	}
	return nil
}
