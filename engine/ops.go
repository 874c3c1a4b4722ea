package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

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
//
// It speaks libcontainer's exec fifo protocol itself (Container.Exec in runc
// v1.5: open STATEDIR/exec.fifo for reading, which lets the init blocked on its
// write end go on; read until the init's exec closes it; remove the fifo) rather
// than through libcontainer.Load, which decodes the whole container config (the
// seccomp profile's ~400 syscalls among it) only to find the fifo and the init's
// pid: 9 to 12 ms of every run here. As libcontainer does, a blocked open gives
// up when the init died (a zombie counts as dead).
func (c *Container) Exec() error {
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	fifo := filepath.Join(run, "lc", c.ID, execFifo)
	if _, err := os.Lstat(fifo); err != nil {
		return fmt.Errorf("container %s is not waiting to start: %w", c.Name, ErrCtrStateInvalid)
	}
	pid, _, err := readPidFile(filepath.Join(run, filePid))
	if err != nil {
		return fmt.Errorf("container %s is not running: %w", c.Name, ErrCtrStateInvalid)
	}
	if err := awaitExecFifo(fifo, pid); err != nil {
		return fmt.Errorf("starting %s: %w", c.Name, err)
	}
	startDone(run)
	c.sdNotifyStarted(run)
	return nil
}

// execFifo is libcontainer's execFifoFilename.
const execFifo = "exec.fifo"

// awaitExecFifo opens fifo for reading (blocking until the init opens its write
// end), reads to EOF and removes it; every 100 ms it checks that pid still lives.
func awaitExecFifo(fifo string, pid int) error {
	opened := make(chan *os.File, 1)
	go func() {
		if f, err := os.OpenFile(fifo, os.O_RDONLY, 0); err == nil {
			opened <- f
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case f := <-opened:
			return readExecFifo(f)
		case <-tick.C:
			if procAlive(pid) {
				continue
			}
			// It may have run and ended between two ticks: its byte is in the fifo.
			f, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
			if err != nil {
				return fmt.Errorf("the container's process is already dead: %w", err)
			}
			if readExecFifo(f) != nil {
				return errors.New("the container's process is already dead")
			}
			return nil
		}
	}
}

func readExecFifo(f *os.File) error {
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("exec fifo: %w", err)
	}
	if len(data) == 0 {
		return errors.New("cannot start an already running container")
	}
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// procAlive tells whether pid exists and is not a zombie.
func procAlive(pid int) bool {
	f, _, ok := procStat(pid)
	return ok && len(f) > 0 && f[0] != "Z"
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
