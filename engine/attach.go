package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
}

// Attach connects to the monitor's attach socket and copies streams until the
// container's output ends (it exited) or the user detaches.
func (c *Container) Attach(o AttachOptions) error {
	run, err := c.RunDir()
	if err != nil {
		return err
	}
	fd, err := dialAttach(run)
	if err != nil {
		return fmt.Errorf("attaching to %s: %w", c.Name, err)
	}
	defer unix.Close(fd)
	if o.Connected != nil {
		o.Connected()
	}
	detached := make(chan struct{})
	if o.Stdin != nil {
		go sendStdin(fd, o.Stdin, o.DetachKeys, detached)
	}
	if o.Resize != nil {
		go func() {
			for sz := range o.Resize {
				msg := make([]byte, 5)
				msg[0] = early.AttachResize
				binary.NativeEndian.PutUint16(msg[1:], sz[0])
				binary.NativeEndian.PutUint16(msg[3:], sz[1])
				_, _ = unix.Write(fd, msg)
			}
		}()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			break
		}
		if n == 0 {
			break
		}
		w := o.Stdout
		if buf[0] == early.AttachStderr {
			w = o.Stderr
		}
		if w != nil && n > 1 {
			_, _ = w.Write(buf[1:n])
			if f, ok := w.(interface{ Flush() error }); ok {
				_ = f.Flush()
			}
		}
		select {
		case <-detached:
			return ErrDetached
		default:
		}
	}
	select {
	case <-detached:
		return ErrDetached
	default:
	}
	return nil
}

func sendStdin(fd int, in io.Reader, keys []byte, detached chan struct{}) {
	buf := make([]byte, 32<<10)
	matched := 0
	for {
		n, err := in.Read(buf)
		if n > 0 {
			data := buf[:n]
			if len(keys) > 0 {
				for _, b := range data {
					if b == keys[matched] {
						matched++
						if matched == len(keys) {
							close(detached)
							_ = unix.Shutdown(fd, unix.SHUT_RDWR)
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
			msg := append([]byte{early.AttachStdin}, data...)
			if _, err := unix.Write(fd, msg); err != nil {
				return
			}
		}
		if err != nil {
			_, _ = unix.Write(fd, []byte{early.AttachCloseStdin})
			return
		}
	}
}

// dialAttach connects to RUNDIR/attach through /proc/self/fd: the socket's full path
// can exceed the 108 bytes a sockaddr_un holds.
func dialAttach(run string) (int, error) {
	dir, err := os.Open(run)
	if err != nil {
		return -1, err
	}
	defer dir.Close()
	path := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), fileAttach)
	var lastErr error
	for i := 0; i < 100; i++ {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if err = unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err == nil {
			return fd, nil
		}
		unix.Close(fd)
		lastErr = err
		if _, serr := os.Stat(filepath.Join(run, fileExit)); serr == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1, lastErr
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
