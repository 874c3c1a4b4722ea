package early

/*
#cgo CFLAGS: -Wall -Wextra -Wno-unused-parameter -std=c11 -O2
#include <stdlib.h>
#include "early.h"

// In the preamble (not in a .c file) so the linker can never leave it out.
static void __attribute__((constructor)) engine_early_ctor(void)
{
	engine_early_init();
}
*/
import "C"

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Environment variables shared with the C side.
const (
	// EnvMonitor names the monitor's config file; set only for the monitor.
	EnvMonitor = "_ENGINE_MONITOR"
	// EnvRestartCount is set to n (1, 2, ...) in the create helper's
	// environment for the n-th restart: no CLI will start that container, so
	// the helper must start its process itself before reporting ok.
	EnvRestartCount = "_ENGINE_RESTART_COUNT"
	// EnvRootlessRunDir is the user's runtime directory (job 2).
	EnvRootlessRunDir   = "_ENGINE_ROOTLESS_RUNDIR"
	envUsernsConfigured = "_CONTAINERS_USERNS_CONFIGURED"
	envRootlessUID      = "_CONTAINERS_ROOTLESS_UID"
	envRootlessGID      = "_CONTAINERS_ROOTLESS_GID"
)

// Files in a container's RunDir.
const (
	FileMonitorPID = "monitor.pid" // written by the monitor at start: "<pid>\n"
	FileAttach     = "attach"      // the attach socket
	FileExit       = "exit"        // "<code> <unix ns>\n", written atomically
	FileRestarts   = "restarts"    // "<n>\n", after the n-th restart
	FileStopped    = "stopped"     // created by the engine: do not restart
	FilePID        = "pid"         // written by the create helper, not the monitor
	FileCleaned    = "cleaned"     // written by the engine's cleanup: nothing left to release
)

// File descriptors of the create helper (besides 0-2, the container's stdio).
const (
	HelperConsoleFD = 3 // console socket (TTY) or /dev/null
	HelperStatusFD  = 4 // write "ok <pid>\n" or "err <code> <msg>\n" here
)

// Attach protocol: the first byte of each SOCK_SEQPACKET packet.
const (
	AttachStdin      byte = 0 // client -> monitor: data for the container's stdin
	AttachCloseStdin byte = 1 // client -> monitor: close stdin (^D with a TTY)
	AttachResize     byte = 2 // client -> monitor: rows, cols as native uint16
	AttachCleanup    byte = 3 // client -> monitor: I run the cleanup after the exit; wait for my EOF
	AttachStdout     byte = 1 // monitor -> client: stdout (or TTY) data
	AttachStderr     byte = 2 // monitor -> client: stderr data
	AttachReady      byte = 3 // monitor -> client: accepted; output from now on reaches it
	AttachExit       byte = 4 // monitor -> client: the exit code in decimal; EOF follows

	// AttachMaxData is the most data in one packet, both ways.
	AttachMaxData = 8192
)

// Restart policies understood by the monitor.
const (
	RestartNo            = "no"
	RestartAlways        = "always"
	RestartOnFailure     = "on-failure"
	RestartUnlessStopped = "unless-stopped"
)

func init() {
	// The constructor's setenv happened after Go's runtime copied the
	// environment from the process stack; make os.Getenv and child processes
	// see it.
	for _, k := range []string{envUsernsConfigured, envRootlessUID, envRootlessGID, EnvRootlessRunDir} {
		if v, ok := cGetenv(k); ok {
			if cur, set := os.LookupEnv(k); !set || cur != v {
				os.Setenv(k, v)
			}
		}
	}
}

func cGetenv(name string) (string, bool) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	v := C.getenv(cname)
	if v == nil {
		return "", false
	}
	return C.GoString(v), true
}

// RootlessRunDir is the runtime directory chosen by the rootless setup
// ($XDG_RUNTIME_DIR or /tmp/engine-run-<uid>), or "" when this process did not
// go through it (root, or a child that inherited nothing).
func RootlessRunDir() string {
	v, _ := cGetenv(EnvRootlessRunDir)
	return v
}

var inUserNS = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	// The initial namespace maps everything onto itself.
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
})

// InUserNamespace reports whether this process runs in a user namespace other
// than the initial one (the pause process's, or a container's). It reads
// /proc/self/uid_map, so it holds for children too, whatever their environment.
func InUserNamespace() bool { return inUserNS() }

// MonitorConfig is the monitor's config file. Write produces it; the C side
// (monitor_config.c) parses it: one `key=value` per line, the value runs to
// the end of the line, repeated keys for argv lists.
type MonitorConfig struct {
	ID      string // id
	RunDir  string // run_dir: volatile files; must exist; the monitor's cwd
	LogPath string // log_path: docker json-file log; "" for none

	LogMaxSize  int64 // log_max_size: bytes, 0 = unlimited
	LogMaxFiles int   // log_max_files: files in all, rotated ones included (default 1)

	TTY   bool // tty
	Stdin bool // stdin: keep the container's stdin open for attach

	CreateArgs  []string // create_arg: argv of the create helper, argv[0] a path
	CleanupArgs []string // cleanup_arg: argv of the cleanup helper (+ exit code)

	Restart    string // restart: no, always, on-failure, unless-stopped
	RestartMax int    // restart_max: on-failure retries, 0 = unlimited

	// SyncFD is the monitor's fd number of the pipe it reports the create
	// result on (3 for the first of exec.Cmd.ExtraFiles); -1 or 0 for none.
	SyncFD int

	// NotifySocket (notify_socket): the host's NOTIFY_SOCKET, for
	// --sdnotify=container. The monitor then binds NotifyProxy in the run dir
	// and forwards what the container sends there, MAINPID lines dropped.
	NotifySocket string
}

// NotifyProxyDir is the run dir's directory that holds the sd_notify proxy
// socket (notify.sock), bind-mounted at /run/notify in the container.
const NotifyProxyDir = "notify"

// Write validates c and writes it atomically to path (mode 0600).
func (c *MonitorConfig) Write(path string) error {
	b, err := c.encode()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func (c *MonitorConfig) encode() ([]byte, error) {
	if c.RunDir == "" {
		return nil, errors.New("monitor config: RunDir is empty")
	}
	if len(c.CreateArgs) == 0 || !filepath.IsAbs(c.CreateArgs[0]) {
		return nil, errors.New("monitor config: CreateArgs[0] must be an absolute path")
	}
	if len(c.CleanupArgs) > 0 && !filepath.IsAbs(c.CleanupArgs[0]) {
		return nil, errors.New("monitor config: CleanupArgs[0] must be an absolute path")
	}
	switch c.Restart {
	case "", RestartNo, RestartAlways, RestartOnFailure, RestartUnlessStopped:
	default:
		return nil, fmt.Errorf("monitor config: unknown restart policy %q", c.Restart)
	}
	var buf bytes.Buffer
	var bad string
	kv := func(k, v string) {
		if strings.ContainsAny(v, "\n\x00") && bad == "" {
			bad = k
		}
		buf.WriteString(k)
		buf.WriteByte('=')
		buf.WriteString(v)
		buf.WriteByte('\n')
	}
	b01 := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	kv("id", c.ID)
	kv("run_dir", c.RunDir)
	kv("log_path", c.LogPath)
	kv("log_max_size", strconv.FormatInt(c.LogMaxSize, 10))
	files := c.LogMaxFiles
	if files < 1 {
		files = 1
	}
	kv("log_max_files", strconv.Itoa(files))
	kv("tty", b01(c.TTY))
	kv("stdin", b01(c.Stdin))
	for _, a := range c.CreateArgs {
		kv("create_arg", a)
	}
	for _, a := range c.CleanupArgs {
		kv("cleanup_arg", a)
	}
	restart := c.Restart
	if restart == "" {
		restart = RestartNo
	}
	kv("restart", restart)
	kv("restart_max", strconv.Itoa(c.RestartMax))
	if c.SyncFD > 0 {
		kv("sync_fd", strconv.Itoa(c.SyncFD))
	}
	if c.NotifySocket != "" {
		kv("notify_socket", c.NotifySocket)
	}
	if bad != "" {
		return nil, fmt.Errorf("monitor config: %s contains a newline or NUL", bad)
	}
	return buf.Bytes(), nil
}

// CreateError is an "err <code> <msg>" line from the monitor or the helper.
type CreateError struct {
	Code int // exit code for the CLI: 125 engine, 126 cannot invoke, 127 not found
	Msg  string
	// NoReport: the pipe closed without a line (the monitor died before reporting;
	// it wrote why to its stderr).
	NoReport bool
}

func (e *CreateError) Error() string { return e.Msg }

// ParseSyncLine parses the line the monitor writes on SyncFD (and the create
// helper on HelperStatusFD): "ok <pid>" gives the pid, "err <code> <msg>" a
// *CreateError. An empty line (EOF: the monitor died first) is a CreateError
// with code 125.
func ParseSyncLine(line string) (int, error) {
	line = strings.TrimRight(line, "\r\n")
	if rest, ok := strings.CutPrefix(line, "ok "); ok {
		pid, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || pid <= 0 {
			return 0, &CreateError{Code: 125, Msg: fmt.Sprintf("monitor: bad sync line %q", line)}
		}
		return pid, nil
	}
	if rest, ok := strings.CutPrefix(line, "err "); ok {
		codeStr, msg, _ := strings.Cut(rest, " ")
		code, err := strconv.Atoi(codeStr)
		if err != nil || code <= 0 || code > 255 {
			code = 125
		}
		return 0, &CreateError{Code: code, Msg: msg}
	}
	if line == "" {
		return 0, &CreateError{Code: 125, Msg: "monitor exited before reporting", NoReport: true}
	}
	return 0, &CreateError{Code: 125, Msg: fmt.Sprintf("monitor: bad sync line %q", line)}
}

// ReadExitFile reads FileExit in runDir: the container's exit code and when it
// exited. The error satisfies errors.Is(err, fs.ErrNotExist) while there is
// none.
func ReadExitFile(runDir string) (int, time.Time, error) {
	b, err := os.ReadFile(filepath.Join(runDir, FileExit))
	if err != nil {
		return 0, time.Time{}, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, time.Time{}, fmt.Errorf("exit file: bad content %q", b)
	}
	code, err1 := strconv.Atoi(f[0])
	ns, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, fmt.Errorf("exit file: bad content %q", b)
	}
	return code, time.Unix(0, ns), nil
}

// ResizePacket is the attach packet that sets the terminal size.
func ResizePacket(rows, cols uint16) []byte {
	p := make([]byte, 5)
	p[0] = AttachResize
	binary.NativeEndian.PutUint16(p[1:], rows)
	binary.NativeEndian.PutUint16(p[3:], cols)
	return p
}

// DialAttach connects to the attach socket in runDir and returns once the
// monitor accepted the connection (its AttachReady packet is consumed), so all
// output from then on reaches it. Paths too long for a unix socket address go
// through /proc/self/fd of an O_PATH descriptor of runDir.
func DialAttach(runDir string) (*net.UnixConn, error) {
	c, err := dialAttach(runDir)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1+AttachMaxData)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := c.Read(buf)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil || n != 1 || buf[0] != AttachReady {
		c.Close()
		if err == nil {
			err = fmt.Errorf("unexpected first packet %q", buf[:n])
		}
		return nil, fmt.Errorf("attach: no answer from the monitor: %w", err)
	}
	return c, nil
}

func dialAttach(runDir string) (*net.UnixConn, error) {
	path := filepath.Join(runDir, FileAttach)
	if len(path) < 108 {
		return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	}
	dir, err := os.OpenFile(runDir, unix.O_PATH, 0)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), FileAttach)
	return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: short, Net: "unixpacket"})
}

// ReadSyncLine reads the monitor's single line from r (the read end of the
// sync pipe) and parses it with ParseSyncLine.
func ReadSyncLine(r *os.File) (int, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return ParseSyncLine("")
	}
	return ParseSyncLine(line)
}
