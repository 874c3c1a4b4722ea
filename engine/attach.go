package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/engine-dev/engine/internal/early"
)

// ErrDetached is returned by Attach when the user typed the detach keys.
var ErrDetached = errors.New("detached from container")

// AttachOptions configure Attach.
type AttachOptions struct {
	Stdin      io.Reader // nil: send nothing
	Stdout     io.Writer
	Stderr     io.Writer
	DetachKeys []byte           // a sequence typed on stdin that detaches; nil for none
	Resize     <-chan [2]uint16 // rows, cols
	Connected  func()           // called once connected (run uses it to start the process)
	// OnExit, when set, runs with the exit code while the monitor waits: the
	// caller takes the cleanup over from the monitor (CleanupAfterExit).
	OnExit func(code int)
}

// Attach connects to the monitor's attach socket and copies streams until the
// container's output ends (it exited) or the user detaches. It returns the exit
// code when the monitor sent it (-1 when it did not: the monitor died, or the
// container was not running).
func (c *Container) Attach(o AttachOptions) (int, error) {
	run, err := c.RunDir()
	if err != nil {
		return -1, err
	}
	conn, err := dialAttach(run)
	if err != nil {
		return -1, fmt.Errorf("attaching to %s: %w", c.Name, err)
	}
	defer conn.Close()
	if o.OnExit != nil {
		if _, err := conn.Write([]byte{early.AttachCleanup}); err != nil {
			return -1, fmt.Errorf("attaching to %s: %w", c.Name, err)
		}
	}
	if o.Connected != nil {
		o.Connected()
	}
	detached := make(chan struct{})
	if o.Stdin != nil {
		go sendStdin(conn, o.Stdin, o.DetachKeys, detached)
	}
	if o.Resize != nil {
		go func() {
			for sz := range o.Resize {
				_, _ = conn.Write(early.ResizePacket(sz[0], sz[1]))
			}
		}()
	}
	code := -1
	buf := make([]byte, 1+early.AttachMaxData)
	for {
		n, err := conn.Read(buf)
		if err != nil || n == 0 {
			break
		}
		var w io.Writer
		switch buf[0] {
		case early.AttachStdout:
			w = o.Stdout
		case early.AttachStderr:
			w = o.Stderr
		case early.AttachExit:
			// The last packet. The monitor waits for a cleaning client to close,
			// so do not wait for its EOF here.
			if v, err := strconv.Atoi(string(buf[1:n])); err == nil {
				code = v
				if o.OnExit != nil {
					o.OnExit(code)
				}
			}
			return code, nil
		}
		if w != nil && n > 1 {
			_, _ = w.Write(buf[1:n])
			if f, ok := w.(interface{ Flush() error }); ok {
				_ = f.Flush()
			}
		}
	}
	select {
	case <-detached:
		return -1, ErrDetached
	default:
	}
	return code, nil
}

func sendStdin(conn *net.UnixConn, in io.Reader, keys []byte, detached chan struct{}) {
	buf := make([]byte, 1+early.AttachMaxData)
	buf[0] = early.AttachStdin
	matched := 0
	for {
		n, err := in.Read(buf[1:])
		if n > 0 {
			data := buf[1 : 1+n]
			if len(keys) > 0 {
				for _, b := range data {
					if b == keys[matched] {
						matched++
						if matched == len(keys) {
							close(detached)
							_ = conn.Close()
							return
						}
					} else {
						matched = 0
						if b == keys[0] {
							matched = 1
						}
					}
				}
			}
			if _, err := conn.Write(buf[:1+n]); err != nil {
				return
			}
		}
		if err != nil {
			_, _ = conn.Write([]byte{early.AttachCloseStdin})
			return
		}
	}
}

// dialAttach connects to the monitor, retrying while its socket is not there yet
// (a container being started by another process) unless the container has exited.
func dialAttach(run string) (*net.UnixConn, error) {
	var lastErr error
	for i := 0; i < 100; i++ {
		conn, err := early.DialAttach(run)
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ECONNREFUSED) {
			break
		}
		if _, serr := os.Stat(filepath.Join(run, fileExit)); serr == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, lastErr
}

// ParseDetachKeys reads docker's detach-keys syntax: "ctrl-p,ctrl-q", "a,b".
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var out []byte
	for _, k := range bytes.Split([]byte(s), []byte(",")) {
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case bytes.HasPrefix(k, []byte("ctrl-")) && len(k) == 6:
			ch := k[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
			case ch == '@':
				out = append(out, 0)
			case ch >= '[' && ch <= '_':
				out = append(out, ch-'['+27)
			default:
				return nil, fmt.Errorf("invalid detach key %q: %w", k, ErrInvalidArg)
			}
		default:
			return nil, fmt.Errorf("invalid detach key %q: %w", k, ErrInvalidArg)
		}
	}
	return out, nil
}
