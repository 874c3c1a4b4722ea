package testutil

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUserName is the ordinary user the rootless tests run as.
const TestUserName = "enginetest"

// testUserRange is the subordinate id range given to TestUserName when
// /etc/subuid or /etc/subgid has none for it.
const testUserRange = "200000:65536"

// IDRange is a subordinate id range from /etc/subuid or /etc/subgid.
type IDRange struct {
	Start, Count uint32
}

// UserInfo is the rootless test user.
type UserInfo struct {
	Name     string
	UID, GID uint32
	Groups   []uint32
	Home     string // the account's home; tests use a per-test HOME instead
	SubUID   IDRange
	SubGID   IDRange
}

var testUser struct {
	once sync.Once
	mu   sync.Mutex // guards appends to /etc/subuid and /etc/subgid
	info *UserInfo
	err  error
}

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root (euid %d): run the integration tests as root", os.Geteuid())
	}
}

// User returns the rootless test user, creating it once (idempotently, also across
// concurrent test processes) with useradd -m, giving it subordinate uid and gid ranges
// and making /dev/net/tun usable (0666) for rootless networking. Needs root.
func User(t testing.TB) *UserInfo {
	t.Helper()
	RequireRoot(t)
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("rootless tests need %s (Debian package uidmap): %v", tool, err)
		}
	}
	testUser.once.Do(func() { testUser.info, testUser.err = setupUser() })
	if testUser.err != nil {
		t.Fatalf("setting up rootless user %s: %v", TestUserName, testUser.err)
	}
	return testUser.info
}

func setupUser() (*UserInfo, error) {
	// Several test binaries may run at once under go test ./...: serialise the setup.
	lock, err := os.OpenFile("/run/lock/engine-testuser.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		lock, err = os.OpenFile("/tmp/.engine-testuser.lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return nil, err
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)

	u, err := user.Lookup(TestUserName)
	if err != nil {
		if _, ok := err.(user.UnknownUserError); !ok {
			return nil, err
		}
		out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", TestUserName).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("useradd: %v: %s", err, out)
		}
		if u, err = user.Lookup(TestUserName); err != nil {
			return nil, err
		}
	}
	info := &UserInfo{Name: u.Username, Home: u.HomeDir}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	info.UID, info.GID = uint32(uid), uint32(gid)
	gids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, err
		}
		info.Groups = append(info.Groups, uint32(n))
	}
	if info.SubUID, err = ensureSubIDs("/etc/subuid", TestUserName); err != nil {
		return nil, err
	}
	if info.SubGID, err = ensureSubIDs("/etc/subgid", TestUserName); err != nil {
		return nil, err
	}
	if st, err := os.Stat("/dev/net/tun"); err == nil && st.Mode().Perm() != 0o666 {
		if err := os.Chmod("/dev/net/tun", 0o666); err != nil {
			return nil, fmt.Errorf("chmod 0666 /dev/net/tun: %w", err)
		}
	}
	return info, nil
}

// ensureSubIDs returns name's first range in file, appending testUserRange when
// there is none.
func ensureSubIDs(file, name string) (IDRange, error) {
	return ensureSubIDRange(file, name, testUserRange)
}

// AutoUserNSRange is what EnsureAutoUserNS gives the user "containers", from which
// root's --userns=auto picks ranges (podman's documented default range).
const AutoUserNSRange = "2147483647:2147483648"

// EnsureAutoUserNS gives the user "containers" subordinate ids, as an administrator
// does for root's --userns=auto, unless it has some.
func EnsureAutoUserNS(t testing.TB) {
	t.Helper()
	testUser.mu.Lock()
	defer testUser.mu.Unlock()
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if _, err := ensureSubIDRange(f, "containers", AutoUserNSRange); err != nil {
			t.Fatalf("subordinate ids for containers in %s: %v", f, err)
		}
	}
}

func ensureSubIDRange(file, name, idRange string) (IDRange, error) {
	r, ok, err := readSubIDs(file, name)
	if err != nil || ok {
		return r, err
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return IDRange{}, err
	}
	if _, err := fmt.Fprintf(f, "%s:%s\n", name, idRange); err != nil {
		f.Close()
		return IDRange{}, err
	}
	if err := f.Close(); err != nil {
		return IDRange{}, err
	}
	r, ok, err = readSubIDs(file, name)
	if err == nil && !ok {
		err = fmt.Errorf("%s: no range for %s after adding one", file, name)
	}
	return r, err
}

func readSubIDs(file, name string) (IDRange, bool, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return IDRange{}, false, nil
	}
	if err != nil {
		return IDRange{}, false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 || fields[0] != name {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil {
			return IDRange{}, false, fmt.Errorf("%s: bad line %q", file, sc.Text())
		}
		return IDRange{Start: uint32(start), Count: uint32(count)}, true, nil
	}
	return IDRange{}, false, sc.Err()
}
