package engine

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/capability"
	"github.com/moby/sys/user"
)

// topDescriptor is one column of `top`: podman's (psgo's) header and value.
type topDescriptor struct {
	header string
	value  func(p *topProc, ids *topIDs) string
}

// topDescriptors are psgo's descriptors (podman top's), but for label (SELinux).
var topDescriptors = map[string]topDescriptor{
	"args": {"COMMAND", func(p *topProc, _ *topIDs) string {
		if p.cmdline == "" {
			return "[" + p.comm + "]"
		}
		return p.cmdline
	}},
	"comm":    {"COMMAND", func(p *topProc, _ *topIDs) string { return p.comm }},
	"pid":     {"PID", func(p *topProc, _ *topIDs) string { return strconv.Itoa(p.pid) }},
	"ppid":    {"PPID", func(p *topProc, _ *topIDs) string { return strconv.Itoa(p.ppid) }},
	"pgid":    {"PGID", func(p *topProc, _ *topIDs) string { return strconv.Itoa(p.pgid) }},
	"hpid":    {"HPID", func(p *topProc, _ *topIDs) string { return strconv.Itoa(p.hostPID) }},
	"user":    {"USER", func(p *topProc, ids *topIDs) string { return ids.user(p, "Uid", 1, false) }},
	"ruser":   {"RUSER", func(p *topProc, ids *topIDs) string { return ids.user(p, "Uid", 0, false) }},
	"huser":   {"HUSER", func(p *topProc, ids *topIDs) string { return ids.user(p, "Uid", 1, true) }},
	"group":   {"GROUP", func(p *topProc, ids *topIDs) string { return ids.user(p, "Gid", 1, false) }},
	"rgroup":  {"RGROUP", func(p *topProc, ids *topIDs) string { return ids.user(p, "Gid", 0, false) }},
	"hgroup":  {"HGROUP", func(p *topProc, ids *topIDs) string { return ids.user(p, "Gid", 1, true) }},
	"nice":    {"NI", func(p *topProc, _ *topIDs) string { return p.stat[16] }},
	"state":   {"STATE", func(p *topProc, _ *topIDs) string { return p.stat[0] }},
	"vsz":     {"VSZ", func(p *topProc, _ *topIDs) string { return strconv.FormatInt(atoi64(p.stat[20])/1024, 10) }},
	"tty":     {"TTY", func(p *topProc, _ *topIDs) string { return ttyName(atoi64(p.stat[4])) }},
	"time":    {"TIME", func(p *topProc, _ *topIDs) string { return p.cpu.String() }},
	"etime":   {"ELAPSED", func(p *topProc, _ *topIDs) string { return time.Since(p.start).String() }},
	"stime":   {"STIME", func(p *topProc, _ *topIDs) string { return p.start.Truncate(time.Second).UTC().String() }},
	"pcpu":    {"%CPU", func(p *topProc, _ *topIDs) string { return pcpu(p) }},
	"seccomp": {"SECCOMP", func(p *topProc, _ *topIDs) string { return seccompMode(p.status["Seccomp"]) }},
	"capamb":  {"AMBIENT CAPS", func(p *topProc, _ *topIDs) string { return capNames(p.status["CapAmb"]) }},
	"capbnd":  {"BOUNDING CAPS", func(p *topProc, _ *topIDs) string { return capNames(p.status["CapBnd"]) }},
	"capeff":  {"EFFECTIVE CAPS", func(p *topProc, _ *topIDs) string { return capNames(p.status["CapEff"]) }},
	"capinh":  {"INHERITED CAPS", func(p *topProc, _ *topIDs) string { return capNames(p.status["CapInh"]) }},
	"capprm":  {"PERMITTED CAPS", func(p *topProc, _ *topIDs) string { return capNames(p.status["CapPrm"]) }},
}

// pcpu is psgo's %CPU: CPU time over the time since the process started.
func pcpu(p *topProc) string {
	elapsed := time.Since(p.start)
	if elapsed <= 0 {
		return "0.000"
	}
	return fmt.Sprintf("%.3f", 100*p.cpu.Seconds()/elapsed.Seconds())
}

// ttyName names the terminal of a stat tty_nr (pseudo-terminals and consoles; "?"
// for none or another device).
func ttyName(nr int64) string {
	major, minor := (nr>>8)&0xfff, (nr&0xff)|((nr>>12)&0xfff00)
	switch {
	case nr == 0:
		return "?"
	case major >= 136 && major <= 143:
		return fmt.Sprintf("pts/%d", minor+(major-136)*256)
	case major == 4 && minor < 64:
		return fmt.Sprintf("tty%d", minor)
	case major == 4:
		return fmt.Sprintf("ttyS%d", minor-64)
	}
	return "?"
}

func seccompMode(f []string) string {
	if len(f) == 0 {
		return "?"
	}
	switch f[0] {
	case "0":
		return "disabled"
	case "1":
		return "strict"
	case "2":
		return "filter"
	}
	return "?"
}

// capNames lists the capabilities of a status Cap* mask as psgo does: "full" when
// every capability the kernel knows is set, "none" when none is, else their sorted
// names without CAP_.
func capNames(f []string) string {
	if len(f) == 0 {
		return "?"
	}
	mask, err := strconv.ParseUint(f[0], 16, 64)
	if err != nil {
		return "?"
	}
	last, err := capability.LastCap()
	if err == nil && last < 63 && mask == 1<<(uint(last)+1)-1 {
		return "full"
	}
	var names []string
	for i := uint(0); i < 64; i++ {
		if mask&(1<<i) != 0 && (err != nil || capability.Cap(i) <= last) {
			names = append(names, strings.ToUpper(capability.Cap(i).String()))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// topIDs names the uids and gids of the container's processes: as the container
// sees them (its /etc/passwd and /etc/group, through its user namespace) and as the
// host does (huser, hgroup).
type topIDs struct {
	users, groups         map[int64]string
	hostUsers, hostGroups map[int64]string
	// The container's user namespace seen from this process (nil when it is ours),
	// and ours seen from the host's.
	uidIn, gidIn, uidOut, gidOut []user.IDMap
}

// topIDs reads the names and id maps for the container whose init is pid.
func (c *Container) topIDs(pid int) *topIDs {
	root := fmt.Sprintf("/proc/%d/root", pid)
	ids := &topIDs{
		users: passwdNames(root, "etc/passwd"), groups: groupNames(root, "etc/group"),
		hostUsers: passwdNames("/", "etc/passwd"), hostGroups: groupNames("/", "etc/group"),
	}
	ids.uidOut, _ = user.ParseIDMapFile("/proc/self/uid_map")
	ids.gidOut, _ = user.ParseIDMapFile("/proc/self/gid_map")
	mine, err1 := os.Readlink("/proc/self/ns/user")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err1 == nil && err2 == nil && mine != theirs {
		ids.uidIn, _ = user.ParseIDMapFile(fmt.Sprintf("/proc/%d/uid_map", pid))
		ids.gidIn, _ = user.ParseIDMapFile(fmt.Sprintf("/proc/%d/gid_map", pid))
	}
	return ids
}

// user names field i (0 real, 1 effective) of the status line key (Uid or Gid),
// in the container or, with host, on the host; an id without a name shows as a
// number.
func (ids *topIDs) user(p *topProc, key string, i int, host bool) string {
	f := p.status[key]
	if len(f) <= i {
		return "?"
	}
	id := atoi64(f[i]) // as this process sees it
	in, out, names, hostNames := ids.uidIn, ids.uidOut, ids.users, ids.hostUsers
	if key == "Gid" {
		in, out, names, hostNames = ids.gidIn, ids.gidOut, ids.groups, ids.hostGroups
	}
	if host {
		id, names = mapID(id, out, true), hostNames
	} else if in != nil {
		id = mapID(id, in, false)
	}
	if n, ok := names[id]; ok {
		return n
	}
	return strconv.FormatInt(id, 10)
}

// mapID maps id through m: up from the inner namespace's ID to the ParentID, or
// down. An id outside m is returned as is.
func mapID(id int64, m []user.IDMap, up bool) int64 {
	for _, e := range m {
		from, to := e.ParentID, e.ID
		if up {
			from, to = e.ID, e.ParentID
		}
		if id >= from && id < from+e.Count {
			return to + id - from
		}
	}
	return id
}

// passwdNames reads uid -> name from root/path, resolving symlinks inside root.
func passwdNames(root, path string) map[int64]string {
	names := map[int64]string{}
	if p, err := securejoin.SecureJoin(root, path); err == nil {
		users, _ := user.ParsePasswdFile(p)
		for _, u := range users {
			if _, dup := names[int64(u.Uid)]; !dup {
				names[int64(u.Uid)] = u.Name
			}
		}
	}
	return names
}

// groupNames reads gid -> name from root/path, resolving symlinks inside root.
func groupNames(root, path string) map[int64]string {
	names := map[int64]string{}
	if p, err := securejoin.SecureJoin(root, path); err == nil {
		groups, _ := user.ParseGroupFile(p)
		for _, g := range groups {
			if _, dup := names[int64(g.Gid)]; !dup {
				names[int64(g.Gid)] = g.Name
			}
		}
	}
	return names
}
