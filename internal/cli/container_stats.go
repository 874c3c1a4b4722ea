package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
)

func statsAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		ctrs, err := statsTargets(c, r)
		if err != nil {
			return err
		}
		prev := map[string]*engine.Stats{}
		sample := func() ([]*engine.Stats, error) {
			var out []*engine.Stats
			for _, ctr := range ctrs {
				s, err := ctr.Stats(prev[ctr.ID])
				if errors.Is(err, engine.ErrCtrStateInvalid) {
					// A named container that is not running is a row of zeros, as podman's.
					s, err = &engine.Stats{ContainerID: ctr.ID, Name: ctr.Name}, nil
				}
				if err != nil {
					return nil, err
				}
				prev[ctr.ID] = s
				out = append(out, s)
			}
			return out, nil
		}
		if _, err := sample(); err != nil {
			return err
		}
		for {
			time.Sleep(500 * time.Millisecond)
			cur, err := sample()
			if err != nil {
				return err
			}
			if err := printStats(c, cur); err != nil {
				return err
			}
			if c.Bool("no-stream") {
				return nil
			}
			if f, ok := c.App.Writer.(interface{ Flush() error }); ok {
				_ = f.Flush()
			}
		}
	})
}

// statsTargets is the named containers, or the running ones (all with --all).
func statsTargets(c *cli.Context, r *engine.Runtime) ([]*engine.Container, error) {
	var ctrs []*engine.Container
	if c.NArg() > 0 {
		for _, n := range c.Args().Slice() {
			ctr, err := r.Lookup(n)
			if err != nil {
				return nil, err
			}
			ctrs = append(ctrs, ctr)
		}
		return ctrs, nil
	}
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	for _, ctr := range all {
		if c.Bool("all") {
			ctrs = append(ctrs, ctr)
		} else if st, err := ctr.State(); err == nil && st.Status == engine.StatusRunning {
			ctrs = append(ctrs, ctr)
		}
	}
	return ctrs, nil
}

// statsRow is a sample for templates: podman's fields, the raw numbers of the
// sample with its strings over them (.MemUsage is "USED / LIMIT", .CPUPerc "0.50%").
type statsRow struct {
	engine.Stats
	ID, CPUPerc, AVGCPU, MemUsage, MemPerc, NetIO, BlockIO, PIDS, CPUTime, UpTime string
}

// MemUsageBytes is podman's "USED / LIMIT" in binary units ("240KiB / 23.54GiB").
func (r statsRow) MemUsageBytes() string {
	return units.BytesSize(float64(r.Stats.MemUsage)) + " / " + units.BytesSize(float64(r.MemLimit))
}

func newStatsRow(s *engine.Stats) statsRow {
	return statsRow{Stats: *s, ID: trunc(s.ContainerID, false), CPUPerc: percent(s.CPU), AVGCPU: percent(s.AvgCPU),
		MemUsage: humanPair(s.MemUsage, s.MemLimit), MemPerc: percent(s.MemPerc),
		NetIO: humanPair(s.NetInput, s.NetOutput), BlockIO: humanPair(s.BlockInput, s.BlockOutput),
		PIDS: fmt.Sprint(s.PIDs), CPUTime: time.Duration(s.CPUNano).String(), UpTime: s.UpTime.String()}
}

// statsJSON is podman's `stats --format json` record: strings as its table shows them.
type statsJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CPUTime    string `json:"cpu_time"`
	CPUPercent string `json:"cpu_percent"`
	AvgCPU     string `json:"avg_cpu"`
	MemUsage   string `json:"mem_usage"`
	MemPercent string `json:"mem_percent"`
	NetIO      string `json:"net_io"`
	BlockIO    string `json:"block_io"`
	PIDs       string `json:"pids"`
}

func printStats(c *cli.Context, cur []*engine.Stats) error {
	rows := make([]statsRow, 0, len(cur))
	for _, s := range cur {
		rows = append(rows, newStatsRow(s))
	}
	if f := c.String("format"); f == "json" || isJSONTemplate(f) {
		out := make([]statsJSON, 0, len(rows))
		for _, r := range rows {
			out = append(out, statsJSON{ID: r.ID, Name: r.Name, CPUTime: r.CPUTime, CPUPercent: r.CPUPerc,
				AvgCPU: r.AVGCPU, MemUsage: r.MemUsage, MemPercent: r.MemPerc, NetIO: r.NetIO,
				BlockIO: r.BlockIO, PIDs: r.PIDS})
		}
		return format.JSON(c.App.Writer, out)
	}
	tmpl := "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.CPUTime}}\t{{.AVGCPU}}"
	if f := c.String("format"); f != "" {
		tmpl = f
	}
	return format.Rows(c.App.Writer, tmpl, rows, map[string]string{"CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
		"MemPerc": "MEM %", "NetIO": "NET IO", "BlockIO": "BLOCK IO", "CPUTime": "CPU TIME", "AVGCPU": "AVG CPU %"}, false)
}

// humanPair is podman's "USED / LIMIT" of two sizes ("618.5kB / 25.28GB").
func humanPair(a, b uint64) string {
	return units.HumanSize(float64(a)) + " / " + units.HumanSize(float64(b))
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", f) }
