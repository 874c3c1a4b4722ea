package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sampler takes one sample for a tool: it may prepare and clean up around the
// part it times, and returns the timed value.
type sampler func(ctx context.Context, t *Tool) (float64, error)

// metric is one row to measure.
type metric struct {
	name   string
	unit   string
	target *float64
	warmup int
	runs   int
	sample sampler
	note   string
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// defaultNet notes what the default network is on the default-network rows.
const defaultNet = "each tool's default bridge (engine: CNI plugins; podman: its CNI/netavark setup)"

// measureAll measures every group of rows in turn and returns the report.
func (b *Bench) measureAll(ctx context.Context) *Report {
	rep := &Report{Generated: time.Now(), Quick: b.cfg.Quick, Host: b.hostInfo(ctx), Settings: b.cfg.settings()}
	groups := []func(context.Context) []Row{b.imageRows, b.containerRows, b.monitorMemory,
		b.featureRows, b.rootlessRows, b.bulkRows}
	for _, group := range groups {
		if ctx.Err() != nil {
			break
		}
		rep.Rows = append(rep.Rows, group(ctx)...)
	}
	rep.Notes = append(b.setupNotes(), b.notes...)
	return rep
}

// done computes the row's ratio and logs it as it is measured.
func (b *Bench) done(r Row) Row {
	r.finish()
	b.logf("%s: engine %s | podman %s | ratio %s", r.Metric, formatMeasure(r.Engine, r.Unit),
		formatMeasure(r.Podman, r.Unit), formatRatio(r.Ratio))
	return r
}

// measureRoot measures metrics one after the other with the root tools.
func (b *Bench) measureRoot(ctx context.Context, metrics ...metric) []Row {
	var rows []Row
	for _, m := range metrics {
		if ctx.Err() == nil {
			rows = append(rows, b.measureRow(ctx, b.root, b.podmanMissing, m))
		}
	}
	return rows
}

// imageRows: version, ps and images on a store without containers, and pull.
func (b *Bench) imageRows(ctx context.Context) []Row {
	c := b.cfg
	rows := b.measureRoot(ctx,
		metric{name: "version", unit: "ms", target: target(0.5), warmup: c.Warmup, runs: c.Runs, sample: timeCmd("version")},
		metric{name: "ps (no containers)", unit: "ms", target: target(0.5), warmup: c.Warmup, runs: c.Runs, sample: timeCmd("ps")})
	b.importImages(ctx)
	rows = append(rows, b.measureRoot(ctx, metric{name: fmt.Sprintf("images (%d images)", c.Images+1), unit: "ms",
		warmup: c.Warmup, runs: c.Runs, sample: timeCmd("images"), note: "no target in the issue"})...)
	b.removeImported(ctx)
	return append(rows, b.measureRoot(ctx, metric{name: fmt.Sprintf("cold pull of the %d MB image (loopback registry)", 4*c.BigLayerMB),
		unit: "ms", target: target(1.0), runs: c.PullRuns, sample: b.pullSample})...)
}

// containerRows: the life cycle of single containers, and parallel runs.
func (b *Bench) containerRows(ctx context.Context) []Row {
	c, bb := b.cfg, b.fix.BusyboxRef()
	return b.measureRoot(ctx,
		metric{name: "run --rm --network none busybox true", unit: "ms", target: target(0.25),
			warmup: c.Warmup, runs: c.Runs, sample: timeCmd("run", "--rm", "--network", "none", bb, "true")},
		metric{name: "run --rm busybox true (default network)", unit: "ms", target: target(0.25),
			warmup: c.Warmup, runs: c.Runs, sample: timeCmd("run", "--rm", bb, "true"), note: defaultNet},
		metric{name: "run -d busybox sleep 1000", unit: "ms", target: target(0.33),
			warmup: c.Warmup, runs: c.Runs, sample: b.runDetachedSample},
		metric{name: "stop -t 0", unit: "ms", target: target(0.25),
			warmup: c.Warmup, runs: c.Runs, sample: b.stopSample},
		metric{name: "rm of an exited container", unit: "ms", target: target(0.5),
			warmup: c.Warmup, runs: c.Runs, sample: b.rmExitedSample},
		metric{name: fmt.Sprintf("%d parallel run --rm --network none busybox true (wall)", c.Parallel),
			unit: "ms", target: target(0.25), runs: c.ParallelRuns, sample: b.parallelSample(c.Parallel),
			note: "--network none for both"})
}

// featureRows: -p and build, which engine may not offer yet.
func (b *Bench) featureRows(ctx context.Context) []Row {
	c := b.cfg
	return b.measureRoot(ctx,
		metric{name: "-p: run -d to first HTTP 200", unit: "ms", target: target(0.33),
			warmup: c.Warmup, runs: c.Runs, sample: b.publishSample, note: "busybox httpd, published on 127.0.0.1"},
		metric{name: "build, 10-step Dockerfile, uncached", unit: "ms", target: target(1.0),
			runs: c.BuildRuns, sample: b.buildSample(true)},
		metric{name: "build, 10-step Dockerfile, fully cached", unit: "ms", target: target(0.5),
			warmup: 1, runs: c.Runs, sample: b.buildSample(false)})
}

// rootlessRows: run --rm and run -d as the ordinary user.
func (b *Bench) rootlessRows(ctx context.Context) []Row {
	c, bb := b.cfg, b.fix.BusyboxRef()
	var rows []Row
	for _, m := range []metric{
		{name: "rootless: run --rm --network none busybox true", unit: "ms", target: target(0.25),
			warmup: c.Warmup, runs: c.Runs, sample: timeCmd("run", "--rm", "--network", "none", bb, "true")},
		{name: "rootless: run --rm busybox true (default network)", unit: "ms", target: target(0.25),
			warmup: c.Warmup, runs: c.Runs, sample: timeCmd("run", "--rm", bb, "true"), note: "slirp4netns for both"},
		{name: "rootless: run -d busybox sleep 1000", unit: "ms", target: target(0.33),
			warmup: c.Warmup, runs: c.Runs, sample: b.runDetachedSample},
	} {
		if ctx.Err() == nil {
			rows = append(rows, b.measureRow(ctx, b.rootless, b.rootlessMissing, m))
		}
	}
	return rows
}

// bulkRows: ps -a of many containers, then rm -a -f of many.
func (b *Bench) bulkRows(ctx context.Context) []Row {
	rows := b.measureRoot(ctx, b.psAllMetric(ctx))
	return append(rows, b.measureRoot(ctx, metric{name: fmt.Sprintf("rm -a -f of %d created containers", b.cfg.RmContainers),
		unit: "ms", target: target(0.2), runs: b.cfg.BulkRuns, sample: b.rmAllSample})...)
}

// maxFailures is how many failed samples end a tool's sampling of a row.
const maxFailures = 3

// measureRow samples both tools of pair alternately: each iteration runs one tool
// then the other, in alternating order, so that drifting machine load is shared.
// The first m.warmup iterations are not recorded. A failed sample is counted and
// skipped; after maxFailures (or at once for a reason such as "not implemented
// yet") the tool is no longer sampled. A nil tool (or a nil sampler) shows as
// unavailable with the reason missing.
func (b *Bench) measureRow(ctx context.Context, pair [2]*Tool, missing string, m metric) Row {
	row := Row{Metric: m.name, Unit: m.unit, Target: m.target, Note: m.note}
	var values [2][]float64
	var lastErr [2]error
	var fails [2]int
	done := [2]bool{}
	for k, t := range pair {
		if t == nil || m.sample == nil {
			lastErr[k], done[k] = reason(missing), true
		}
	}
	for i := -m.warmup; i < m.runs && ctx.Err() == nil; i++ {
		order := []int{0, 1}
		if (i+m.warmup)%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			if done[k] {
				continue
			}
			v, err := m.sample(ctx, pair[k])
			var r reason
			switch {
			case errors.As(err, &r):
				lastErr[k], done[k] = err, true
			case err != nil:
				fails[k]++
				lastErr[k], done[k] = err, fails[k] >= maxFailures
			case i >= 0:
				values[k] = append(values[k], v)
			}
		}
	}
	row.Engine = measureOf(values[0], lastErr[0])
	row.Podman = measureOf(values[1], lastErr[1])
	for k, name := range []string{"engine", "podman"} {
		if fails[k] > 0 && len(values[k]) > 0 {
			row.Note = joinNote(row.Note, fmt.Sprintf("%s: %d runs failed, last: %v", name, fails[k], lastErr[k]))
		}
	}
	return b.done(row)
}

// measureOf summarises values; without any, the error says why: a reason as it
// is, anything else as a failure.
func measureOf(values []float64, err error) Measure {
	var r reason
	switch {
	case err == nil || len(values) > 0:
		return summarize(values, "")
	case errors.As(err, &r):
		return summarize(values, string(r))
	default:
		return summarize(values, "failed: "+err.Error())
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// timeCmd samples one invocation of the tool with args.
func timeCmd(args ...string) sampler {
	return func(ctx context.Context, t *Tool) (float64, error) {
		d, err := t.Time(ctx, args...)
		return ms(d), err
	}
}

// forceRm removes containers at once, running or not.
func (t *Tool) forceRm(ctx context.Context, ids ...string) error {
	_, err := t.Run(ctx, append(append([]string(nil), t.ForceRm...), ids...)...)
	return err
}

// runDetached starts a busybox container in the background, with run options
// opts, and returns its id and how long `run -d` took.
func (b *Bench) runDetached(ctx context.Context, t *Tool, opts []string, cmd ...string) (string, time.Duration, error) {
	args := append(append([]string{"run", "-d"}, opts...), b.fix.BusyboxRef())
	out, d, err := t.timed(ctx, append(args, cmd...)...)
	if err != nil {
		return "", d, err
	}
	return lastLine(out), d, nil
}

// runDetachedSample times `run -d busybox sleep 1000`, then removes the container.
func (b *Bench) runDetachedSample(ctx context.Context, t *Tool) (float64, error) {
	id, d, err := b.runDetached(ctx, t, nil, "sleep", "1000")
	if err != nil {
		return 0, err
	}
	return ms(d), t.forceRm(ctx, id)
}

// stopSample times `stop -t 0` of a running sleep, then removes it.
func (b *Bench) stopSample(ctx context.Context, t *Tool) (float64, error) {
	id, _, err := b.runDetached(ctx, t, nil, "sleep", "1000")
	if err != nil {
		return 0, err
	}
	d, err := t.Time(ctx, "stop", "-t", "0", id)
	if err != nil {
		t.forceRm(ctx, id)
		return 0, err
	}
	_, err = t.Run(ctx, "rm", id)
	return ms(d), err
}

// rmExitedSample times `rm` of a container whose `true` has exited.
func (b *Bench) rmExitedSample(ctx context.Context, t *Tool) (float64, error) {
	id, _, err := b.runDetached(ctx, t, nil, "true")
	if err != nil {
		return 0, err
	}
	if _, err := t.Run(ctx, "wait", id); err != nil {
		t.forceRm(ctx, id)
		return 0, err
	}
	d, err := t.Time(ctx, "rm", id)
	return ms(d), err
}

// pullSample times a pull of the big image into a store without it, then
// removes it again (its layers go with it; only busybox's base layer is shared).
func (b *Bench) pullSample(ctx context.Context, t *Tool) (float64, error) {
	d, err := t.Time(ctx, "pull", "-q", "--tls-verify=false", b.fix.BigRef())
	if err != nil {
		return 0, err
	}
	_, err = t.Run(ctx, "rmi", b.fix.BigRef())
	return ms(d), err
}

// parallelSample times n concurrent `run --rm --network none busybox true`, from
// the first start to the last exit.
func (b *Bench) parallelSample(n int) sampler {
	return func(ctx context.Context, t *Tool) (float64, error) {
		errs := make(chan error, n)
		start := time.Now()
		for i := 0; i < n; i++ {
			go func() {
				_, err := t.Run(ctx, "run", "--rm", "--network", "none", b.fix.BusyboxRef(), "true")
				errs <- err
			}()
		}
		var first error
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return ms(time.Since(start)), first
	}
}

// publishSample times `run -d -p 127.0.0.1:PORT:80 busybox httpd` up to the first
// HTTP 200 through the published port, then removes the container.
func (b *Bench) publishSample(ctx context.Context, t *Tool) (float64, error) {
	if !t.supports(ctx, "run", "--publish") {
		return 0, errNotImplemented
	}
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	id, _, err := b.runDetached(ctx, t, []string{"-p", fmt.Sprintf("127.0.0.1:%d:80", port)},
		"httpd", "-f", "-p", "80", "-h", "/etc")
	if err != nil {
		return 0, err
	}
	err = waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/hostname", port), 30*time.Second)
	d := time.Since(start)
	if rmErr := t.forceRm(ctx, id); err == nil {
		err = rmErr
	}
	return ms(d), err
}

// freePort returns a loopback port nobody listens on at the time of the call.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until it answers 200.
func waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: no HTTP 200 after %v: %v", url, limit, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// buildSample times a build of the fixture context: with --no-cache (uncached),
// or again after a first build (fully cached).
func (b *Bench) buildSample(uncached bool) sampler {
	return func(ctx context.Context, t *Tool) (float64, error) {
		if !t.supports(ctx, "build", "") {
			return 0, errNotImplemented
		}
		args := []string{"build", "-q", "-t", "bench/build:latest"}
		if uncached {
			args = append(args, "--no-cache")
		}
		d, err := t.Time(ctx, append(args, b.fix.BuildContext)...)
		return ms(d), err
	}
}

// writeBuildContext writes a context whose Dockerfile has 10 steps (FROM the
// registry's busybox, 5 of them RUN) once the registry address is known.
func writeBuildContext(f *Fixtures) error {
	f.BuildContext = filepath.Join(f.Dir, "build")
	if err := os.MkdirAll(f.BuildContext, 0o755); err != nil {
		return err
	}
	dockerfile := "FROM " + f.BusyboxRef() + `
ENV BENCH=1
RUN echo one > /one
RUN echo two > /two
COPY file.txt /file.txt
RUN cat /file.txt /one /two > /all
WORKDIR /work
RUN touch /work/done
LABEL bench=engine
RUN test -f /work/done
`
	if err := os.WriteFile(filepath.Join(f.BuildContext, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.BuildContext, "file.txt"), []byte("bench\n"), 0o644)
}

// monitorMemory starts cfg.MemContainers detached sleeps per tool and reads the
// memory of each one's monitor (engine-monitor, conmon: the ConmonPid of inspect)
// from /proc/PID/smaps_rollup: the PSS row (with a target) and the RSS row.
func (b *Bench) monitorMemory(ctx context.Context) []Row {
	n := b.cfg.MemContainers
	note := fmt.Sprintf("%d detached sleeps per tool running at once; smaps_rollup of inspect's ConmonPid", n)
	pss := Row{Metric: "monitor memory per detached container (PSS)", Unit: "KiB", Target: target(3), Note: note}
	rss := Row{Metric: "monitor memory per detached container (RSS)", Unit: "KiB", Note: "no target in the issue"}
	for k, t := range b.root {
		if t == nil {
			m := Measure{Unavailable: b.podmanMissing}
			pss.Podman, rss.Podman = m, m
			continue
		}
		p, r, err := b.monitorSamples(ctx, t, n)
		reason := ""
		if err != nil {
			reason = "failed: " + err.Error()
		}
		if k == 0 {
			pss.Engine, rss.Engine = summarize(p, reason), summarize(r, reason)
		} else {
			pss.Podman, rss.Podman = summarize(p, reason), summarize(r, reason)
		}
	}
	return []Row{b.done(pss), b.done(rss)}
}

// monitorSamples returns the PSS and RSS (KiB) of the monitors of n detached sleeps.
func (b *Bench) monitorSamples(ctx context.Context, t *Tool, n int) (pss, rss []float64, err error) {
	var ids []string
	defer func() {
		if len(ids) > 0 {
			t.forceRm(ctx, ids...)
		}
	}()
	for i := 0; i < n; i++ {
		id, _, err := b.runDetached(ctx, t, nil, "sleep", "1000")
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	time.Sleep(time.Second) // let the monitors settle
	for _, id := range ids {
		out, err := t.Run(ctx, "inspect", "--format", "{{.State.ConmonPid}}", id)
		if err != nil {
			return nil, nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil || pid <= 0 {
			return nil, nil, fmt.Errorf("inspect %s: ConmonPid %q", id, out)
		}
		r, p, err := smapsRollup(pid)
		if err != nil {
			return nil, nil, err
		}
		rss, pss = append(rss, r), append(pss, p)
	}
	return pss, rss, nil
}

// smapsRollup returns the Rss and Pss (KiB) of a process.
func smapsRollup(pid int) (rss, pss float64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseSmapsRollup(string(data))
}

// parseSmapsRollup extracts the Rss and Pss lines (in kB) of smaps_rollup.
func parseSmapsRollup(s string) (rss, pss float64, err error) {
	found := 0
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != "Rss:" && f[0] != "Pss:") {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("smaps_rollup: %q: %w", line, err)
		}
		if f[0] == "Rss:" {
			rss = v
		} else {
			pss = v
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("smaps_rollup: no Rss and Pss lines")
	}
	return rss, pss, nil
}

// importImages imports the tiny tarballs into both root stores, alternately, so
// that `images` lists cfg.Images of them besides busybox.
func (b *Bench) importImages(ctx context.Context) {
	b.logf("importing %d images per tool", len(b.fix.Tarballs))
	for i, tarball := range b.fix.Tarballs {
		for _, t := range b.root {
			if t != nil && ctx.Err() == nil {
				if _, err := t.Run(ctx, "import", "-q", tarball, fmt.Sprintf("bench/img%03d:latest", i)); err != nil {
					b.notes = append(b.notes, fmt.Sprintf("%s import: %v", t, err))
				}
			}
		}
	}
}

// removeImported removes the imported images again, so that later rows run
// against a store holding only the fixtures.
func (b *Bench) removeImported(ctx context.Context) {
	var names []string
	for i := range b.fix.Tarballs {
		names = append(names, fmt.Sprintf("bench/img%03d:latest", i))
	}
	for _, t := range b.root {
		if t != nil && len(names) > 0 {
			if _, err := t.Run(ctx, append([]string{"rmi", "-f"}, names...)...); err != nil {
				b.notes = append(b.notes, fmt.Sprintf("%s rmi of the imported images: %v", t, err))
			}
		}
	}
}

// psAllMetric fills both root stores with cfg.PsContainers created containers
// (untimed, one `create` at a time, the tools alternating) and returns the
// `ps -a` metric.
func (b *Bench) psAllMetric(ctx context.Context) metric {
	n := b.cfg.PsContainers
	m := metric{name: fmt.Sprintf("ps -a with %d containers", n), unit: "ms", target: target(0.2),
		warmup: b.cfg.Warmup, runs: b.cfg.Runs, sample: timeCmd("ps", "-a")}
	b.logf("creating %d containers per tool for ps -a", n)
	start := time.Now()
	for _, t := range b.root {
		if t != nil {
			if err := b.fill(ctx, t, n); err != nil {
				m.sample = func(context.Context, *Tool) (float64, error) { return 0, err }
			}
		}
	}
	b.logf("created in %v", time.Since(start).Round(time.Second))
	return m
}

// rmAllSample times `rm -a -f` of cfg.RmContainers created containers (the store
// is first filled or trimmed to that many, untimed).
func (b *Bench) rmAllSample(ctx context.Context, t *Tool) (float64, error) {
	if err := b.fill(ctx, t, b.cfg.RmContainers); err != nil {
		return 0, err
	}
	d, err := t.Time(ctx, "rm", "-a", "-f")
	return ms(d), err
}

// fill makes t's store hold exactly n containers: it creates `busybox true`
// containers one at a time, or removes the surplus.
func (b *Bench) fill(ctx context.Context, t *Tool, n int) error {
	out, err := t.Run(ctx, "ps", "-a", "-q", "--no-trunc")
	if err != nil {
		return err
	}
	ids := strings.Fields(out)
	for len(ids) > n {
		chunk := ids[n:min(len(ids), n+100)]
		if err := t.forceRm(ctx, chunk...); err != nil {
			return err
		}
		ids = append(ids[:n], ids[n+len(chunk):]...)
	}
	for i := len(ids); i < n; i++ {
		if _, err := t.Run(ctx, "create", b.fix.BusyboxRef(), "true"); err != nil {
			return fmt.Errorf("creating container %d: %w", i+1, err)
		}
		if (i+1)%250 == 0 {
			b.logf("%s: %d containers", t, i+1)
		}
	}
	return nil
}

// setupNotes describes how the tools were set up, for the report.
func (b *Bench) setupNotes() []string {
	notes := []string{
		"Each tool has a private store (--root/--runroot, storage driver " + storageDriver + ") in a temporary directory; the tools run alternately, sample by sample, in alternating order.",
		"podman runs with a private containers.conf (CONTAINERS_CONF): cgroup_manager=cgroupfs, events_logger=file (no systemd), runtime=runc (crun refuses the hybrid cgroup layout), " +
			fmt.Sprintf("default_ulimits nofile=1024:1024 and nproc=%d:%d", nprocLimit(), nprocLimit()) +
			" (its defaults of 1048576 exceed the hard limits runc runs with; root lacks CAP_SYS_RESOURCE), and tmp_dir, events log, network_config_dir and image_copy_tmp_dir in its directory.",
		"Images come from a loopback docker-registry (pushed by engine); busybox is built from Debian's busybox-static, the big image has 4 incompressible data layers.",
	}
	if os.Getenv(mountNSEnv) != "" {
		notes = append(notes, "The run is in a private mount namespace: /var/lib/containers (both tools write their blob info cache there as root, whatever --root says) and /dev/shm (podman's lock segment) are private to it.")
	}
	if b.rootless[1] != nil {
		notes = append(notes, "Rootless rows run as "+benchUser+" with their own XDG_RUNTIME_DIR and HOME; podman uses the same containers.conf settings and slirp4netns for its default network.")
	} else if b.rootlessMissing != "" {
		notes = append(notes, "Rootless rows: "+b.rootlessMissing)
	}
	return notes
}
