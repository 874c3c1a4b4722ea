// Command bench measures engine against podman on the same machine in the same run
// (issue #6): it prepares its fixtures offline (busybox and a ~100 MB image, a
// loopback docker-registry), runs both tools alternately on the same workloads,
// each in a private store, and writes the table of medians, ratios and targets as
// text, Markdown, JSON and an SVG chart.
//
//	go run -tags "$(BUILDTAGS)" ./internal/bench -engine bin/engine -out bin/bench [-quick]
//
// (`make bench`). -quick is a smoke run of about a minute (TestQuickRun runs it
// when ENGINE_BINARY is set, as under `make test`); -render re-draws the files
// from a results.json without measuring. The full run takes about 8 minutes on 2
// cores, half of it creating the 1,000 containers of the ps -a row.
//
// It needs root (and an ordinary user it creates, enginebench, for the rootless
// rows). Nothing outside its temporary directory is used: it runs in a private
// mount namespace in which /var/lib/containers (where both tools keep their blob
// info cache as root, whatever --root says) and /dev/shm (podman's lock segment)
// are private too. It fails only when it cannot measure at all.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Config is the command line.
type Config struct {
	Engine, Podman string
	Out            string
	Quick          bool
	Rootless       bool
	MountNS        bool
	Keep           bool
	Render         string // re-render the results from this results.json, measuring nothing

	Warmup        int // untimed iterations before each metric
	Runs          int // samples of the quick commands
	PullRuns      int // cold pulls of the big image
	ParallelRuns  int // rounds of parallel runs
	BulkRuns      int // rm -a -f rounds
	BuildRuns     int // uncached builds
	Images        int // images listed by `images`
	PsContainers  int // containers listed by `ps -a`
	RmContainers  int // containers removed by `rm -a -f`
	Parallel      int // containers run at once
	MemContainers int // detached containers whose monitors are measured
	BigLayerMB    int // size of each of the big image's 4 data layers
}

// defaults are the full run's settings; quickDefaults replace those not given on
// the command line under -quick.
var quickDefaults = map[string]string{
	"warmup": "0", "runs": "3", "pull-runs": "1", "parallel-runs": "1", "bulk-runs": "1",
	"build-runs": "1", "images": "5", "ps-containers": "10", "rm-containers": "5",
	"parallel": "4", "mem-containers": "2", "big-layer-mb": "2",
}

func parseFlags(args []string) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.Engine, "engine", "bin/engine", "engine binary")
	fs.StringVar(&c.Podman, "podman", "podman", "podman binary")
	fs.StringVar(&c.Out, "out", "bin/bench", "directory for results.{md,json,svg}")
	fs.BoolVar(&c.Quick, "quick", false, "smoke run: few samples, small counts (flags given explicitly still apply)")
	fs.BoolVar(&c.Rootless, "rootless", true, "also measure as the ordinary user "+benchUser)
	fs.BoolVar(&c.MountNS, "mountns", true, "run in a private mount namespace (private /var/lib/containers and /dev/shm)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary directory (stores, logs) for inspection")
	fs.StringVar(&c.Render, "render", "", "only write -out's files again from this results.json (no root needed)")
	fs.IntVar(&c.Warmup, "warmup", 1, "untimed iterations per tool before each metric")
	fs.IntVar(&c.Runs, "runs", 10, "samples per tool of each single-command metric")
	fs.IntVar(&c.PullRuns, "pull-runs", 5, "cold pulls per tool")
	fs.IntVar(&c.ParallelRuns, "parallel-runs", 3, "rounds of parallel runs per tool")
	fs.IntVar(&c.BulkRuns, "bulk-runs", 1, "rm -a -f rounds per tool (each after creating -rm-containers)")
	fs.IntVar(&c.BuildRuns, "build-runs", 3, "uncached builds per tool (cached: -runs)")
	fs.IntVar(&c.Images, "images", 100, "images listed by the images row")
	fs.IntVar(&c.PsContainers, "ps-containers", 1000, "containers listed by the ps -a row")
	fs.IntVar(&c.RmContainers, "rm-containers", 500, "containers removed by the rm -a -f row")
	fs.IntVar(&c.Parallel, "parallel", 20, "containers run at once")
	fs.IntVar(&c.MemContainers, "mem-containers", 5, "detached containers whose monitor memory is measured")
	fs.IntVar(&c.BigLayerMB, "big-layer-mb", 25, "MB of each of the big image's 4 data layers")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickDefaults {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return nil, err
				}
			}
		}
	}
	return c, nil
}

// settings lists the sizes and counts for the report.
func (c *Config) settings() map[string]int {
	return map[string]int{
		"warmup": c.Warmup, "runs": c.Runs, "pull-runs": c.PullRuns, "parallel-runs": c.ParallelRuns,
		"bulk-runs": c.BulkRuns, "build-runs": c.BuildRuns, "images": c.Images,
		"ps-containers": c.PsContainers, "rm-containers": c.RmContainers, "parallel": c.Parallel,
		"mem-containers": c.MemContainers, "big-layer-mb": c.BigLayerMB,
	}
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.Render != "" {
		if err := render(cfg.Render, cfg.Out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: needs root (podman and engine as root, and a user for the rootless rows)")
		os.Exit(1)
	}
	if cfg.MountNS && os.Getenv(mountNSEnv) == "" {
		os.Exit(reexecInMountNS())
	}
	os.Exit(run(cfg))
}

// run is the benchmark proper; its deferred clean-up runs on success, failure
// and interrupt (SIGINT, SIGTERM, SIGHUP cancel the context).
func run(cfg *Config) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	start := time.Now()
	b := &Bench{cfg: cfg, log: os.Stderr}
	defer b.cleanup()
	if err := b.prepare(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench: cannot measure:", err)
		return 1
	}
	rep := b.measureAll(ctx)
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted; cleaning up")
		return 130
	}
	rep.Host["duration"] = time.Since(start).Round(time.Second).String()
	rep.Host["load average at end"] = loadAverage()
	if err := writeResults(cfg.Out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	rep.WriteText(os.Stdout)
	if !measuredAnything(rep) {
		fmt.Fprintln(os.Stderr, "bench: nothing could be measured")
		return 1
	}
	return 0
}

// measuredAnything tells whether at least one row holds a sample of either tool.
func measuredAnything(rep *Report) bool {
	for _, r := range rep.Rows {
		if r.Engine.OK() || r.Podman.OK() {
			return true
		}
	}
	return false
}

// render reads a results.json and writes the three result files from it into dir.
func render(jsonPath, dir string) error {
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return fmt.Errorf("%s: %w", jsonPath, err)
	}
	for i := range rep.Rows {
		rep.Rows[i].finish()
	}
	return writeResults(dir, &rep)
}

// writeResults writes results.md, results.json and results.svg into dir.
func writeResults(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	writers := map[string]func(*os.File) error{
		"results.md":   func(f *os.File) error { return rep.WriteMarkdown(f) },
		"results.json": func(f *os.File) error { return rep.WriteJSON(f) },
		"results.svg":  func(f *os.File) error { return rep.WriteSVG(f) },
	}
	for name, write := range writers {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
