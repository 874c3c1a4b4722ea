package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// logsOf prints the logs of several containers, as podman's: with more than one,
// each line starts with the container's short id (its name with --names); with
// --follow they are followed together.
func logsOf(c *cli.Context, r *engine.Runtime, o engine.LogOptions) error {
	ctrs := make([]*engine.Container, 0, c.NArg())
	for _, name := range c.Args().Slice() {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		ctrs = append(ctrs, ctr)
	}
	if len(ctrs) == 1 {
		return ctrs[0].Logs(c.Context, c.App.Writer, os.Stderr, o)
	}
	var mu sync.Mutex // whole lines of concurrent followers do not interleave
	one := func(ctx context.Context, ctr *engine.Container) error {
		prefix := trunc(ctr.ID, false) + " "
		if c.Bool("names") {
			prefix = ctr.Name + " "
		}
		out := &linePrefixer{w: c.App.Writer, prefix: prefix, mu: &mu}
		errw := &linePrefixer{w: os.Stderr, prefix: prefix, mu: &mu}
		err := ctr.Logs(ctx, out, errw, o)
		out.flush()
		errw.flush()
		return err
	}
	if !o.Follow {
		for _, ctr := range ctrs {
			if err := one(c.Context, ctr); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(ctrs))
	var wg sync.WaitGroup
	for i, ctr := range ctrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = one(c.Context, ctr)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// linePrefixer writes each complete line to w after prefix.
type linePrefixer struct {
	w      io.Writer
	prefix string
	mu     *sync.Mutex
	buf    []byte
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.emit(p.buf[:i+1]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// flush writes a last line that had no newline.
func (p *linePrefixer) flush() {
	if len(p.buf) > 0 {
		_ = p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *linePrefixer) emit(line []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return err
	}
	_, err := p.w.Write(line)
	if f, ok := p.w.(interface{ Flush() error }); ok {
		_ = f.Flush() // followed lines appear as they come
	}
	return err
}
