package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// commandTimeout bounds every tool invocation, so that a hang costs one row.
var commandTimeout = 10 * time.Minute

// Tool is one container engine under test (engine or podman, as root or as the
// rootless user) with its private store and configuration.
type Tool struct {
	Name   string   // "engine" or "podman"
	Mode   string   // "root" or "rootless"
	Bin    string   // absolute path of the binary
	Global []string // global options: --root, --runroot, ...
	Env    []string // the complete environment
	Dir    string   // working directory
	Cred   *syscall.Credential
	// ForceRm removes running containers at once: podman's rm -f would wait out
	// the stop timeout (10s) for a sleep that ignores SIGTERM as pid 1.
	ForceRm []string
}

// command returns the command for args, in its own process group so that a
// timeout or an interrupt can kill whatever it started.
func (t *Tool) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, t.Bin, append(append([]string(nil), t.Global...), args...)...)
	cmd.Env, cmd.Dir = t.Env, t.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: t.Cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs the tool with args and returns its standard output, trimmed. The error
// carries the command line and standard error.
func (t *Tool) Run(ctx context.Context, args ...string) (string, error) {
	out, _, err := t.timed(ctx, args...)
	return out, err
}

// Time runs the tool with args and returns the wall-clock time it took.
func (t *Tool) Time(ctx context.Context, args ...string) (time.Duration, error) {
	_, d, err := t.timed(ctx, args...)
	return d, err
}

// timed runs the tool once under commandTimeout and measures it from start to
// exit; output is collected in memory.
func (t *Tool) timed(ctx context.Context, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := t.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return stdout.String(), elapsed, fmt.Errorf("%s %s: %w: %s", t, strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), elapsed, nil
}

// String names the tool and its mode, for messages.
func (t *Tool) String() string {
	if t.Mode == "rootless" {
		return t.Name + " (rootless)"
	}
	return t.Name
}

// lastLine returns the last non-empty line of s: tools print their error last.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return shorten(l, 300)
		}
	}
	return ""
}

// reason is an error that explains why a tool is not measured, rather than a
// failure of the measurement.
type reason string

func (r reason) Error() string { return string(r) }

// errNotImplemented marks a workload the tool does not offer (yet).
var errNotImplemented = reason("not implemented yet")

// supports tells whether the tool has a subcommand (and, if flag is set, a flag of
// it): "build", or "run" with "--publish". Help output is where both show.
func (t *Tool) supports(ctx context.Context, subcommand, flag string) bool {
	out, err := t.Run(ctx, subcommand, "--help")
	if err != nil {
		return false
	}
	return flag == "" || strings.Contains(out, flag)
}
