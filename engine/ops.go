package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runc/libcontainer"
)

func (c *Container) libcontainer() (*libcontainer.Container, error) {
	run, err := c.RunDir()
	if err != nil {
		return nil, err
	}
	lc, err := libcontainer.Load(filepath.Join(run, "lc"), c.ID)
	if err != nil {
		return nil, fmt.Errorf("container %s is not running: %w", c.Name, ErrCtrStateInvalid)
	}
	return lc, nil
}

// Exec lets a container that was started with StartOptions.Attach run its command.
func (c *Container) Exec() error {
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	if err := lc.Exec(); err != nil {
		return fmt.Errorf("starting %s: %w", c.Name, err)
	}
	if run, err := c.RunDir(); err == nil {
		startDone(run)
	}
	return nil
}

func (c *Container) freeze(pause bool) error {
	if c.r.rootless {
		return fmt.Errorf("pause needs the cgroup freezer, which a rootless container on cgroup v1 does not have: %w", ErrCtrStateInvalid)
	}
	st, err := c.State()
	if err != nil {
		return err
	}
	if pause && st.Status != StatusRunning {
		return fmt.Errorf("%s is %s, not running: %w", c.Name, st.Status, ErrCtrStateInvalid)
	}
	if !pause && st.Status != StatusPaused {
		return fmt.Errorf("%s is %s, not paused: %w", c.Name, st.Status, ErrCtrStateInvalid)
	}
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	run, _ := c.RunDir()
	marker := filepath.Join(run, filePaused)
	if pause {
		if err := lc.Pause(); err != nil {
			return fmt.Errorf("pausing %s: %w", c.Name, err)
		}
		return os.WriteFile(marker, nil, 0o600)
	}
	if err := lc.Resume(); err != nil {
		return fmt.Errorf("unpausing %s: %w", c.Name, err)
	}
	return os.Remove(marker)
}
