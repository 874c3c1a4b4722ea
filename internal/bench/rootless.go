package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// benchUser is the ordinary user the rootless rows run as.
const benchUser = "enginebench"

// subIDCount is the size of the subordinate id ranges given to benchUser.
const subIDCount = 65536

// BenchUser is the rootless user with its subordinate id ranges.
type BenchUser struct {
	Name     string
	UID, GID uint32
	SubUID   [2]uint32 // start, count
	SubGID   [2]uint32
}

// Credential is what exec needs to run a process as the user.
func (u *BenchUser) Credential() *syscall.Credential {
	return &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: []uint32{u.GID}}
}

// owns tells whether a process uid belongs to the user: its own or one of its
// subordinate ids (a rootless container's processes).
func (u *BenchUser) owns(uid uint32) bool {
	return uid == u.UID || (uid >= u.SubUID[0] && uid < u.SubUID[0]+u.SubUID[1])
}

// ensureBenchUser creates benchUser if needed (useradd) and gives it subordinate
// uid and gid ranges past every range already allocated. It holds the lock the test
// harness uses for the same files.
func ensureBenchUser() (*BenchUser, error) {
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("rootless needs %s (Debian package uidmap): %w", tool, err)
		}
	}
	unlock, err := lockFile("/run/lock/engine-testuser.lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	u, err := user.Lookup(benchUser)
	if _, unknown := err.(user.UnknownUserError); unknown {
		if out, err := exec.Command("useradd", "-M", "-s", "/bin/sh", benchUser).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("useradd %s: %v: %s", benchUser, err, out)
		}
		u, err = user.Lookup(benchUser)
	}
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	bu := &BenchUser{Name: benchUser, UID: uint32(uid), GID: uint32(gid)}
	if bu.SubUID, err = ensureSubIDs("/etc/subuid", "/etc/subgid"); err != nil {
		return nil, err
	}
	if bu.SubGID, err = ensureSubIDs("/etc/subgid", "/etc/subuid"); err != nil {
		return nil, err
	}
	return bu, nil
}

// lockFile takes an exclusive flock on path and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// subRange is one line of /etc/subuid or /etc/subgid.
type subRange struct {
	user         string
	start, count uint32
}

// ensureSubIDs returns benchUser's first range in file, first appending one that
// starts past every range of file and other (so that it overlaps nobody's).
func ensureSubIDs(file, other string) ([2]uint32, error) {
	ranges, err := readSubIDs(file)
	if err != nil {
		return [2]uint32{}, err
	}
	for _, r := range ranges {
		if r.user == benchUser {
			return [2]uint32{r.start, r.count}, nil
		}
	}
	otherRanges, err := readSubIDs(other)
	if err != nil {
		return [2]uint32{}, err
	}
	start := nextFreeSubID(append(ranges, otherRanges...))
	line := fmt.Sprintf("%s:%d:%d\n", benchUser, start, subIDCount)
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return [2]uint32{}, err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return [2]uint32{}, err
	}
	return [2]uint32{start, subIDCount}, f.Close()
}

// nextFreeSubID returns the first multiple of subIDCount at or past the end of
// every range (and past 100000, where useradd starts allocating).
func nextFreeSubID(ranges []subRange) uint32 {
	end := uint64(100000)
	for _, r := range ranges {
		end = max(end, uint64(r.start)+uint64(r.count))
	}
	return uint32((end + subIDCount - 1) / subIDCount * subIDCount)
}

// readSubIDs parses an /etc/subuid-style file; a missing file has no ranges.
func readSubIDs(file string) ([]subRange, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []subRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 == nil && err2 == nil {
			out = append(out, subRange{fields[0], uint32(start), uint32(count)})
		}
	}
	return out, sc.Err()
}
