package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.podman.io/storage/pkg/archive"
)

// Rename gives the container a new name.
func (c *Container) Rename(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if other, err := c.r.Lookup(name); err == nil && other.ID != c.ID {
		return fmt.Errorf("the container name %q is already in use: %w", name, ErrNameInUse)
	}
	c.Config.Name = name
	meta, err := c.Config.marshal()
	if err != nil {
		return err
	}
	if err := c.r.store.SetMetadata(c.ID, meta); err != nil {
		return fmt.Errorf("renaming %s: %w", c.Name, err)
	}
	if err := c.r.store.SetNames(c.ID, []string{name}); err != nil { //nolint:staticcheck // replace, not add
		return fmt.Errorf("renaming %s: %w", c.Name, err)
	}
	c.Name = name
	return nil
}

// Change is one line of `diff`: A(dded), C(hanged) or D(eleted) and the path.
type Change struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
}

// Diff lists the changes of the container's filesystem against its image.
func (c *Container) Diff() ([]Change, error) {
	changes, err := c.r.store.Changes("", c.Layer)
	if err != nil {
		return nil, fmt.Errorf("diff of %s: %w", c.Name, err)
	}
	out := make([]Change, 0, len(changes))
	for _, ch := range changes {
		k := "C"
		switch ch.Kind {
		case archive.ChangeAdd:
			k = "A"
		case archive.ChangeDelete:
			k = "D"
		}
		out = append(out, Change{Kind: k, Path: ch.Path})
	}
	return out, nil
}

// Export writes the container's filesystem as a tar stream.
func (c *Container) Export(w io.Writer) error {
	return c.withRoot(func(root string) error {
		rc, err := archive.Tar(root, archive.Uncompressed)
		if err != nil {
			return fmt.Errorf("exporting %s: %w", c.Name, err)
		}
		defer rc.Close()
		if _, err := io.Copy(w, rc); err != nil {
			return fmt.Errorf("exporting %s: %w", c.Name, err)
		}
		return nil
	})
}

// Prune removes every container that is not running and returns their ids.
func (r *Runtime) Prune() ([]string, error) {
	ctrs, err := r.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range ctrs {
		st, err := c.State()
		if err != nil || st.Running() || (st.Status == StatusCreated && st.MonitorPid != 0) {
			continue
		}
		if err := c.Remove(false); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.ID)
	}
	return removed, errors.Join(errs...)
}

// Process is one row of `top`.
type Process struct {
	User, PID, PPID, CPU, Elapsed, TTY, Time, Command string
	hostPID                                           int
}

// Top lists the processes in the container's pid namespace.
func (c *Container) Top() ([]Process, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	if !st.Running() || st.Pid == 0 {
		return nil, fmt.Errorf("top: %s is not running: %w", c.Name, ErrCtrStateInvalid)
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
	if err != nil {
		return nil, fmt.Errorf("top of %s: %w", c.Name, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	users := c.userNames(st.Pid)
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || l != ns {
			continue
		}
		if p, ok := readProc(pid, users); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// userNames maps uids to names with the container's /etc/passwd.
func (c *Container) userNames(pid int) map[string]string {
	names := map[string]string{}
	f, err := os.Open(filepath.Join(fmt.Sprintf("/proc/%d/root", pid), "etc/passwd"))
	if err != nil {
		return names
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ":")
		if len(parts) > 2 {
			names[parts[2]] = parts[0]
		}
	}
	return names
}

const clockTicks = 100 // USER_HZ on Linux

func readProc(pid int, users map[string]string) (Process, bool) {
	f, comm, ok := procStat(pid)
	if !ok {
		return Process{}, false
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	start, _ := strconv.ParseInt(f[19], 10, 64)
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	command := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	if command == "" {
		command = "[" + comm + "]"
	}
	uid, nspid := "?", strconv.Itoa(pid)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue
			}
			switch fs[0] {
			case "Uid:":
				uid = fs[1]
			case "NSpid:":
				nspid = fs[len(fs)-1] // the pid as the container sees it
			}
		}
	}
	user := uid
	if n, ok := users[uid]; ok {
		user = n
	}
	cpu := time.Duration(utime+stime) * time.Second / clockTicks
	elapsed := time.Duration(uptimeTicks()-start) * time.Second / clockTicks
	pct := 0.0
	if elapsed > 0 {
		pct = 100 * cpu.Seconds() / elapsed.Seconds()
	}
	return Process{
		User: user, PID: nspid, PPID: f[1], hostPID: pid, CPU: fmt.Sprintf("%.3f", pct),
		Elapsed: elapsed.Round(time.Millisecond).String(), TTY: "?", Time: cpu.String(), Command: command,
	}, true
}

func uptimeTicks() int64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return int64(f * clockTicks)
}
