package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/engine-dev/engine/internal/early"
)

// ExitError carries the exit code the CLI must use for a container that could not be
// started: 126 (cannot invoke), 127 (not found) or 125 (engine error).
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// Unwrap lets errors.Is match ErrCommandNotFound / ErrCommandNotExecutable.
func (e *ExitError) Unwrap() error {
	switch e.Code {
	case 127:
		return ErrCommandNotFound
	case 126:
		return ErrCommandNotExecutable
	}
	return nil
}

// StartOptions configure Start.
type StartOptions struct {
	// Attach leaves the container stopped before its first instruction until the
	// caller has attached and calls Exec, so that no output is missed.
	Attach bool
}

// Start launches the container's monitor, which creates and runs the container and
// outlives this process. It returns once the container process exists.
func (c *Container) Start(opts StartOptions) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := c.State()
	if err != nil {
		return err
	}
	if st.Running() {
		return nil // podman: starting a running container is not an error
	}
	if st.MonitorPid != 0 && st.Status == StatusCreated {
		return fmt.Errorf("container %s is being started: %w", c.Name, ErrCtrStateInvalid)
	}
	if st.Status == StatusExited || st.MonitorLost {
		if err := c.cleanupLocked(st); err != nil {
			return err
		}
	}
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	data, err := c.DataDir()
	if err != nil {
		return err
	}
	for _, d := range []string{run, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	for _, f := range []string{fileExit, filePid, fileStopped, filePaused, fileMonitorPid, early.FileCleaned} {
		_ = os.Remove(filepath.Join(run, f))
	}
	rootfs, err := c.r.store.Mount(c.ID, "")
	if err != nil {
		return fmt.Errorf("mounting rootfs of %s: %w", c.Name, err)
	}
	if err := c.mountShm(run); err != nil {
		_, _ = c.r.store.Unmount(c.ID, false)
		return err
	}
	if err := c.prepare(rootfs, run, opts); err != nil {
		_ = unmountShm(run)
		_, _ = c.r.store.Unmount(c.ID, false)
		return err
	}
	if err := writeStarter(run); err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	if err := c.launchMonitor(run); err != nil {
		return err
	}
	if err := c.waitNet(); err != nil { // network.go: ADD overlapped the create
		return err
	}
	stallBeforeExec()
	if opts.Attach {
		return nil // the caller runs Exec once attached
	}
	return c.Exec()
}

func (c *Container) prepare(rootfs, run string, opts StartOptions) error {
	if err := checkCommand(rootfs, c.Config); err != nil {
		return err
	}
	spec, err := c.buildSpec(rootfs, run)
	if err != nil {
		return err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encoding spec: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(run, fileSpec), b, 0o600); err != nil {
		return fmt.Errorf("writing spec: %w", err)
	}
	return nil
}

// launchMonitor starts the monitor (the C side of this binary, see internal/early) in
// its own session and waits for its one-line report on the sync pipe.
func (c *Container) launchMonitor(run string) error {
	helper := append([]string{c.r.exe}, c.r.global...)
	mc := early.MonitorConfig{
		ID: c.ID, RunDir: run, LogPath: c.LogPath(),
		LogMaxSize: c.Config.LogMaxSize, LogMaxFiles: c.Config.LogMaxFiles,
		TTY: c.Config.TTY, Stdin: c.Config.Interactive,
		CreateArgs:  c.createArgs(run),
		CleanupArgs: append(append([]string{}, helper...), "__cleanup", c.ID),
		Restart:     c.Config.Restart.Name, RestartMax: c.Config.Restart.MaxRetries,
		SyncFD: 3,
	}
	if c.notifyProxied() {
		mc.NotifySocket = c.Config.SdNotifySocket
	}
	if mc.Restart == "" {
		mc.Restart = "no"
	}
	confPath := filepath.Join(run, fileMonitorCfg)
	if err := mc.Write(confPath); err != nil {
		return fmt.Errorf("writing monitor config: %w", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd := exec.Command(c.r.exe, "container-monitor", c.ID)
	// Only engine and the monitor's proxy talk to systemd (systemd.go).
	cmd.Env = append(withoutEnv(os.Environ(), "NOTIFY_SOCKET"), "_ENGINE_MONITOR="+confPath)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("starting monitor: %w", err)
	}
	pw.Close()
	// The monitor is reaped by init once this process exits; never wait for it here.
	go func() { _ = cmd.Wait() }()
	if _, err := early.ReadSyncLine(pr); err != nil {
		var ce *early.CreateError
		if errors.As(err, &ce) {
			if ce.NoReport {
				ce.Msg = fmt.Sprintf("container %s: monitor exited without a report", c.Name)
			}
			return &ExitError{Code: ce.Code, Msg: ce.Msg}
		}
		return err
	}
	return nil
}

// waitFor polls cond every step until it holds or timeout passes.
func waitFor(timeout, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(step)
	}
}
