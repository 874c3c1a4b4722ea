package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/engine-dev/engine/internal/testutil"
)

// TestCp: `cp` both ways and as tar streams, into a running and a stopped
// container; a path under a volume or a bind mount lands in the volume or the bind
// source (not in the rootfs below the mount); a read-only mount and a missing
// directory are refused; a symlink in the container never leads the copy out.
func TestCp(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testutil.Engine) {
		img := ctrSetup(t, e)
		host := userDir(t, e, "cpsrc") // holds "hello"
		bind := userDir(t, e, "cpbind")
		ro := userDir(t, e, "cpro")
		runDetached(t, e, "--name", "c", "-v", "cpvol:/data", "-v", bind+":/bind", "-v", ro+":/ro:ro", img, "sh", "-c",
			"ln -s / /escape; echo inside > /inside; sleep 60")
		for i := 0; e.Run("exec", "c", "test", "-f", "/inside").Code != 0; i++ {
			if i > 100 {
				t.Fatal("container never wrote /inside")
			}
			time.Sleep(50 * time.Millisecond)
		}

		// Host -> container: a file into the rootfs, the volume and the bind mount.
		e.Must(t, "cp", filepath.Join(host, "hello"), "c:/tmp/")
		e.Must(t, "cp", filepath.Join(host, "hello"), "c:/data/h1")
		e.Must(t, "cp", host+"/.", "c:/bind")
		wantOut(t, e, e.Run("exec", "c", "cat", "/tmp/hello", "/data/h1", "/bind/hello"),
			strings.Repeat("hi from the host\n", 3))
		mountpoint := strings.TrimSpace(e.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "cpvol"))
		if b, err := os.ReadFile(filepath.Join(mountpoint, "h1")); err != nil || string(b) != "hi from the host\n" {
			t.Errorf("[%s] cp into /data: the volume has %q, %v", e.Mode(), b, err)
		}
		if _, err := os.Stat(filepath.Join(bind, "hello")); err != nil {
			t.Errorf("[%s] cp into /bind: not in the bind source: %v", e.Mode(), err)
		}

		// Container -> host, and tar streams both ways.
		out := userDir(t, e, "cpout")
		e.Must(t, "cp", "c:/inside", out+"/got")
		if b, _ := os.ReadFile(filepath.Join(out, "got")); string(b) != "inside\n" {
			t.Errorf("[%s] cp c:/inside: got %q", e.Mode(), b)
		}
		tarOut := e.Must(t, "cp", "c:/data/h1", "-")
		tr := tar.NewReader(strings.NewReader(tarOut))
		if h, err := tr.Next(); err != nil || h.Name != "h1" {
			t.Errorf("[%s] cp c:/data/h1 -: first entry %v, %v", e.Mode(), h, err)
		} else if b, _ := io.ReadAll(tr); string(b) != "hi from the host\n" {
			t.Errorf("[%s] cp c:/data/h1 -: content %q", e.Mode(), b)
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = tw.WriteHeader(&tar.Header{Name: "streamed", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("st\n"))
		_ = tw.Close()
		if res := e.RunStdin(&buf, "cp", "-", "c:/data"); res.Code != 0 {
			t.Fatalf("[%s] cp - c:/data: %s", e.Mode(), res)
		}
		wantOut(t, e, e.Run("exec", "c", "cat", "/data/streamed"), "st\n")

		// Refused: a read-only mount, a missing directory, a missing source.
		wantError(t, e, e.Run("cp", filepath.Join(host, "hello"), "c:/ro/x"), 125, false, "read-only")
		wantError(t, e, e.Run("cp", filepath.Join(host, "hello"), "c:/nope/x"), 125, false, "does not exist")
		wantError(t, e, e.Run("cp", "c:/nope", out), 125, false, "no such file")
		if _, err := os.Stat(filepath.Join(ro, "x")); err == nil {
			t.Errorf("[%s] cp into a read-only mount wrote the source", e.Mode())
		}

		// A symlink to / inside the container resolves inside the container.
		e.Must(t, "cp", filepath.Join(host, "hello"), "c:/escape/tmp/via-link")
		wantOut(t, e, e.Run("exec", "c", "cat", "/tmp/via-link"), "hi from the host\n")
		if _, err := os.Stat("/tmp/via-link"); err == nil {
			_ = os.Remove("/tmp/via-link")
			t.Errorf("[%s] cp through a symlink in the container wrote the host's /tmp", e.Mode())
		}

		// A stopped container: the copy still lands in the volume.
		e.Must(t, "stop", "-t", "0", "c")
		e.Must(t, "cp", filepath.Join(host, "hello"), "c:/data/h2")
		wantOut(t, e, e.Run("run", "--rm", "-v", "cpvol:/v", img, "cat", "/v/h2"), "hi from the host\n")
		e.Must(t, "rm", "c")
		e.Must(t, "volume", "rm", "cpvol")
	})
}
