package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// LogOptions configure Logs.
type LogOptions struct {
	Follow     bool
	Timestamps bool
	Tail       int // lines from the end; < 0 for all
	Since      time.Time
	Until      time.Time
}

type logEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// Logs writes the container's output, each stream to its writer.
func (c *Container) Logs(ctx context.Context, stdout, stderr io.Writer, o LogOptions) error {
	path := c.LogPath()
	entries, offset, err := readLogs(path, c.Config.LogMaxFiles)
	if err != nil {
		return err
	}
	entries = filterLogs(entries, o)
	if o.Tail >= 0 && len(entries) > o.Tail {
		entries = entries[len(entries)-o.Tail:]
	}
	for _, e := range entries {
		writeEntry(stdout, stderr, e, o.Timestamps)
	}
	if !o.Follow {
		return nil
	}
	return c.follow(ctx, path, offset, stdout, stderr, o)
}

// follow prints what is appended to the log until the container stops.
func (c *Container) follow(ctx context.Context, path string, offset int64, stdout, stderr io.Writer, o LogOptions) error {
	for {
		st, err := c.State()
		running := err == nil && (st.Running() || (st.Status == StatusCreated && st.MonitorPid != 0))
		f, err := os.Open(path)
		if err == nil {
			if fi, err := f.Stat(); err == nil && fi.Size() < offset {
				offset = 0 // rotated
			}
			if _, err := f.Seek(offset, io.SeekStart); err == nil {
				r := bufio.NewReader(f)
				for {
					line, err := r.ReadBytes('\n')
					if err != nil {
						break // keep a partial line for the next round
					}
					offset += int64(len(line))
					var e logEntry
					if json.Unmarshal(line, &e) == nil && keep(e, o) {
						writeEntry(stdout, stderr, e, o.Timestamps)
					}
				}
			}
			f.Close()
		}
		if f, ok := stdout.(interface{ Flush() error }); ok {
			_ = f.Flush()
		}
		if !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readLogs reads the rotated files oldest first, then the live one; it returns the
// entries and the size of the live file read.
func readLogs(path string, maxFiles int) ([]logEntry, int64, error) {
	var files []string
	for i := maxFiles; i >= 1; i-- {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", path, i)); err == nil {
			files = append(files, fmt.Sprintf("%s.%d", path, i))
		}
	}
	files = append(files, path)
	var out []logEntry
	var size int64
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, 0, fmt.Errorf("reading logs: %w", err)
		}
		r := bufio.NewReaderSize(f, 64<<10)
		var n int64
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				break
			}
			n += int64(len(line))
			var e logEntry
			if json.Unmarshal(line, &e) == nil {
				out = append(out, e)
			}
		}
		f.Close()
		size = n
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, size, nil
}

func filterLogs(in []logEntry, o LogOptions) []logEntry {
	out := in[:0]
	for _, e := range in {
		if keep(e, o) {
			out = append(out, e)
		}
	}
	return out
}

func keep(e logEntry, o LogOptions) bool {
	if !o.Since.IsZero() && e.Time.Before(o.Since) {
		return false
	}
	if !o.Until.IsZero() && e.Time.After(o.Until) {
		return false
	}
	return true
}

func writeEntry(stdout, stderr io.Writer, e logEntry, ts bool) {
	w := stdout
	if e.Stream == "stderr" {
		w = stderr
	}
	if ts {
		fmt.Fprintf(w, "%s %s", e.Time.Format(time.RFC3339Nano), e.Log)
		if !strings.HasSuffix(e.Log, "\n") {
			fmt.Fprintln(w)
		}
		return
	}
	io.WriteString(w, e.Log)
}
