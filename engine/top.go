package engine

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// defaultTopDescriptors are podman's columns of `top` without descriptors.
var defaultTopDescriptors = []string{"user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"}

// Top lists the running container's processes as rows of columns, the first row
// the headers. descriptors are podman's (psgo's) ps(1)-like column names, each
// argument one name or several separated by commas; none gives podman's default
// columns. PIDs are those the container sees: pid 1 is its init, and a parent
// outside the container's pid namespace (the monitor, or the starter of an exec)
// shows as 0, as in the container's own /proc.
//
// As podman, a descriptor Top does not know makes it run ps(1) in the container
// with the arguments as given (`top CTR -ef`), and return ps's lines without its
// own, one column each.
func (c *Container) Top(descriptors []string) ([][]string, error) {
	names, err := splitDescriptors(descriptors)
	if err != nil {
		return c.topWithPS(descriptors, err)
	}
	procs, st, err := c.procs()
	if err != nil {
		return nil, err
	}
	ids := c.topIDs(st.Pid)
	rows := make([][]string, 0, len(procs)+1)
	header := make([]string, len(names))
	for i, n := range names {
		header[i] = topDescriptors[n].header
	}
	rows = append(rows, header)
	for i := range procs {
		row := make([]string, len(names))
		for j, n := range names {
			row[j] = topDescriptors[n].value(&procs[i], ids)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// splitDescriptors splits comma-separated descriptors and checks each.
func splitDescriptors(descriptors []string) ([]string, error) {
	if len(descriptors) == 0 {
		return defaultTopDescriptors, nil
	}
	var out []string
	for _, d := range descriptors {
		for _, n := range strings.Split(d, ",") {
			if n == "" {
				continue
			}
			if _, ok := topDescriptors[n]; !ok {
				return nil, fmt.Errorf("unknown descriptor %q: %w", n, ErrUnknownDescriptor)
			}
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return defaultTopDescriptors, nil
	}
	return out, nil
}

// topWithPS runs ps(1) in the container with args (podman's fallback for
// descriptors psgo does not know) and drops the line of that ps itself.
func (c *Container) topWithPS(args []string, unknown error) ([][]string, error) {
	if err := c.runningForTop(); err != nil {
		return nil, err
	}
	var out, errOut bytes.Buffer
	code, err := c.ExecProcess(ExecOptions{Cmd: append([]string{"ps"}, args...), Stdout: &out, Stderr: &errOut})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit code %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	if err != nil {
		return nil, fmt.Errorf("top: %w, and ps(1) in the container failed: %v", unknown, err)
	}
	self := strings.Join(args, " ")
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if !strings.Contains(line, self) {
			rows = append(rows, []string{line})
		}
	}
	return rows, nil
}

// runningForTop is podman's check: top reads a running container only.
func (c *Container) runningForTop() error {
	st, err := c.State()
	if err != nil {
		return err
	}
	if st.Status != StatusRunning || st.Pid == 0 {
		return fmt.Errorf("top can only be used on running containers: %s is %s: %w", c.Name, st.Status, ErrCtrStateInvalid)
	}
	return nil
}

// topProc is one process of the container, read from the host's /proc.
type topProc struct {
	hostPID, pid, ppid, pgid int
	comm, cmdline            string
	stat                     []string            // /proc/PID/stat after the comm (stat[0] is field 3, the state)
	status                   map[string][]string // /proc/PID/status: key (without ':') -> fields
	start                    time.Time
	cpu                      time.Duration
}

const clockTicks = 100 // USER_HZ on Linux

// procs reads the processes in the container's pid namespace, sorted by pid, with
// their pids, parents and process groups translated into that namespace.
func (c *Container) procs() ([]topProc, State, error) {
	st, err := c.State()
	if err != nil {
		return nil, st, err
	}
	if err := c.runningForTop(); err != nil {
		return nil, st, err
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
	if err != nil {
		return nil, st, fmt.Errorf("top of %s: %w", c.Name, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, st, err
	}
	boot := bootTime()
	var out []topProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || l != ns {
			continue
		}
		if p, ok := readTopProc(pid, boot); ok {
			out = append(out, p)
		}
	}
	inNS := make(map[int]int, len(out)) // host pid -> pid in the container
	for _, p := range out {
		inNS[p.hostPID] = p.pid
	}
	for i := range out {
		out[i].ppid = inNS[atoi(out[i].stat[1])]
		out[i].pgid = inNS[atoi(out[i].stat[2])]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out, st, nil
}

func readTopProc(pid int, boot time.Time) (topProc, bool) {
	f, comm, ok := procStat(pid)
	if !ok {
		return topProc{}, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return topProc{}, false
	}
	status := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			status[k] = strings.Fields(v)
		}
	}
	p := topProc{hostPID: pid, pid: pid, comm: comm, stat: f, status: status}
	if ns := status["NSpid"]; len(ns) > 0 {
		p.pid = atoi(ns[len(ns)-1]) // the pid as the container sees it
	}
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	p.cpu = time.Duration(atoi64(f[11])+atoi64(f[12])) * time.Second / clockTicks
	p.start = boot.Add(time.Duration(atoi64(f[19])) * time.Second / clockTicks)
	return p, true
}

// bootTime is the kernel's boot time (btime of /proc/stat), the origin of a
// process's start time.
func bootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			return time.Unix(atoi64(strings.TrimSpace(v)), 0)
		}
	}
	return time.Time{}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func atoi64(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
