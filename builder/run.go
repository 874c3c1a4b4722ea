package builder

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/engine-dev/engine/engine"
)

// RunError is a RUN that exited non-zero; the build exits with its code, as
// podman's does.
type RunError struct {
	Code int
}

func (e *RunError) Error() string { return fmt.Sprintf("RUN exited with status %d", e.Code) }

// run runs a RUN instruction in a container on the stage's image and commits
// its changes.
func (b *build) run(st *stageState, c *instructions.RunCommand) error {
	for _, f := range c.FlagsUsed {
		if f != "mount" && f != "network" {
			return fmt.Errorf("RUN --%s is not supported: %w", f, ErrInvalidArg)
		}
	}
	if st.image == "" {
		return fmt.Errorf("RUN in an empty (scratch) stage: nothing to run: %w", ErrInvalidArg)
	}
	mounts, mountKey, release, err := b.runMounts(st, c)
	if err != nil {
		return err
	}
	defer release()
	mounts.Volumes = append(mounts.Volumes, b.o.Volumes...)
	network := b.o.Network
	if n := instructions.GetNetwork(c); n != instructions.NetworkDefault {
		network = n
	}
	args := st.command(c.ShellDependantCmdLine)
	if len(c.Files) > 0 {
		a, binds, cleanup, err := b.heredocArgs(st, c)
		if err != nil {
			return err
		}
		defer cleanup()
		args, mounts.Mounts = a, append(mounts.Mounts, binds...)
	}
	env := st.runEnv()
	createdBy := strings.Join(args, " ")
	parts := []string{"RUN", strings.Join(args, "\x00"), strings.Join(st.argEnv(), "\x00"), network, strings.Join(mountKey, "\x00")}
	for _, f := range c.Files {
		parts = append(parts, f.Name, f.Data)
	}
	return b.layerStep(st, createdBy, parts, func() (string, func(), error) {
		ctr, err := b.runContainer(st, runSpec{args: args, env: env, network: network, mounts: mounts})
		if err != nil {
			return "", nil, err
		}
		remove := func() { _ = ctr.RemoveWith(true, true) }
		if err := tidyMountPoints(b.s, ctr, mountTargets(st, c, b.o.Volumes)); err != nil {
			remove()
			return "", nil, err
		}
		return ctr.Layer, remove, nil
	})
}

// mountTargets are the targets of a RUN's --mount flags, and their parents up
// to the root (the runtime may have made them).
func mountTargets(st *stageState, c *instructions.RunCommand, volumes []string) []string {
	var out []string
	for _, v := range volumes {
		if m, err := engine.ParseVolumeFlag(v); err == nil {
			for t := m.Destination; t != "/" && t != "."; t = path.Dir(t) {
				out = append(out, t)
			}
		}
	}
	for _, m := range instructions.GetMounts(c) {
		t := mountTarget(m)
		if !path.IsAbs(t) {
			t = path.Join(workdir(st), t)
		}
		for ; t != "/" && t != "."; t = path.Dir(t) {
			out = append(out, t)
		}
	}
	return out
}

// runSpec is what a RUN container runs, and how.
type runSpec struct {
	args, env []string
	network   string // "" for host
	mounts    engine.MountOptions
}

// runContainer creates and runs a container for a RUN and waits for it; the
// container is returned exited (for its layer) or removed on failure.
func (b *build) runContainer(st *stageState, rs runSpec) (*engine.Container, error) {
	b.removeStaleContainers()
	noEntrypoint := ""
	if rs.network == "" {
		rs.network = engine.NetHost
	}
	ctr, err := b.r.Create(b.ctx, engine.CreateOptions{
		Image: st.image, Cmd: rs.args, Entrypoint: &noEntrypoint, Env: rs.env, WorkDir: st.cfg.Config.WorkingDir,
		User: st.cfg.Config.User, Pull: "never", Net: engine.NetOptions{Networks: []string{rs.network}}, Mounts: rs.mounts,
		Labels: map[string]string{builderLabel: strconv.Itoa(os.Getpid())},
	})
	if err != nil {
		return nil, err
	}
	code, err := b.attach(ctr)
	if err == nil && code != 0 {
		err = &RunError{Code: code}
	}
	if err != nil {
		_ = ctr.RemoveWith(true, true)
		return nil, err
	}
	return ctr, nil
}

// attach starts ctr, copies its output to the build's output and returns its
// exit code. A cancelled build kills the container.
func (b *build) attach(ctr *engine.Container) (int, error) {
	if err := ctr.Start(engine.StartOptions{Attach: true}); err != nil {
		return -1, err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-b.ctx.Done():
			_ = ctr.Kill(syscall.SIGKILL)
		case <-done:
		}
	}()
	var startErr error
	code, err := ctr.Attach(engine.AttachOptions{
		Stdout: b.out, Stderr: b.errOut,
		Connected: func() { startErr = ctr.Exec() },
		OnExit:    func(code int) { _ = ctr.CleanupAfterExit(code) },
	})
	if startErr != nil {
		return -1, startErr
	}
	if err != nil {
		return -1, err
	}
	if code < 0 {
		if code, err = ctr.Wait(); err != nil {
			return -1, err
		}
	}
	if b.ctx.Err() != nil {
		return -1, errors.New("build interrupted")
	}
	return code, nil
}
