package engine

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Summary is one container as `ps --format json` prints it (podman's field names).
type Summary struct {
	AutoRemove bool              `json:"AutoRemove"`
	Command    []string          `json:"Command"`
	CreatedAt  string            `json:"CreatedAt"`
	Exited     bool              `json:"Exited"`
	ExitedAt   int64             `json:"ExitedAt"`
	ExitCode   int               `json:"ExitCode"`
	ID         string            `json:"Id"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	IsInfra    bool              `json:"IsInfra"`
	Labels     map[string]string `json:"Labels"`
	Mounts     []string          `json:"Mounts"`
	Names      []string          `json:"Names"`
	Networks   []string          `json:"Networks"`
	Pid        int               `json:"Pid"`
	Pod        string            `json:"Pod"`
	PodName    string            `json:"PodName"`
	Ports      []any             `json:"Ports"`
	Size       *SizeInfo         `json:"Size"`
	StartedAt  int64             `json:"StartedAt"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
	Created    int64             `json:"Created"`

	created  time.Time
	finished time.Time
	started  time.Time
}

// SizeInfo is the --size column: the container's own layer, and with the image.
type SizeInfo struct {
	RootFsSize int64 `json:"rootFsSize"`
	RwSize     int64 `json:"rwSize"`
}

// PsOptions configure Ps.
type PsOptions struct {
	All     bool
	Last    int // -n; -1 for no limit
	Latest  bool
	Size    bool
	Filters []string
}

// Ps lists containers, newest first: running ones, or all with All.
func (r *Runtime) Ps(o PsOptions) ([]Summary, error) {
	ctrs, err := r.List()
	if err != nil {
		return nil, err
	}
	preds, err := psFilters(o.Filters, createdOf(ctrs))
	if err != nil {
		return nil, err
	}
	if len(o.Filters) > 0 {
		o.All = true // podman: filters apply to every container
	}
	sums := make([]Summary, len(ctrs))
	keep := make([]bool, len(ctrs))
	each := forEachParallel
	if r.store != nil {
		each = forEach // State may reconcile a container through the store: one at a time
	}
	each(len(ctrs), func(i int) {
		c := ctrs[i]
		st, err := c.State()
		// Without -a only running containers, as podman: not paused ones (docker lists them).
		if err != nil || (!o.All && !o.Latest && o.Last < 0 && st.Status != StatusRunning) {
			return
		}
		sums[i] = c.summary(st)
		for _, p := range preds {
			if !p(&sums[i]) {
				return
			}
		}
		keep[i] = true
	})
	out := make([]Summary, 0, len(ctrs))
	for i := range sums {
		if keep[i] {
			out = append(out, sums[i])
		}
	}
	sortSummaries(out)
	if o.Latest && len(out) > 1 {
		out = out[:1]
	}
	if o.Last >= 0 && len(out) > o.Last {
		out = out[:o.Last]
	}
	if o.Size {
		for i := range out {
			out[i].Size = r.size(out[i].ID)
		}
	}
	return out, nil
}

func (c *Container) summary(st State) Summary {
	cfg := c.Config
	s := Summary{
		AutoRemove: cfg.Remove, Command: cfg.Args, ID: c.ID, Image: cfg.ImageName, ImageID: cfg.ImageID,
		Labels: cfg.Labels, Names: []string{c.Name}, Pid: st.Pid, State: st.Status, ExitCode: st.ExitCode,
		Exited: st.Status == StatusExited, Created: cfg.Created.Unix(), CreatedAt: cfg.Created.String(),
		Mounts: cfg.Mounts.Destinations(), Networks: c.networkNames(), Ports: c.psPorts(st),
		created: cfg.Created, finished: st.FinishedAt, started: st.StartedAt,
	}
	if s.Image == "" {
		s.Image = cfg.Image
	}
	if !st.FinishedAt.IsZero() {
		s.ExitedAt = st.FinishedAt.Unix()
	}
	if !st.StartedAt.IsZero() {
		s.StartedAt = st.StartedAt.Unix()
	}
	s.Status = statusLine(st)
	return s
}

// statusLine is podman's STATUS column: "Up 3 seconds", "Exited (0) 2 minutes ago".
func statusLine(st State) string {
	switch st.Status {
	case StatusRunning:
		return "Up " + humanDuration(time.Since(st.StartedAt))
	case StatusPaused:
		return "Paused" // podman's (docker's "Up 3 minutes (Paused)")
	case StatusExited:
		if st.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", st.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, humanDuration(time.Since(st.FinishedAt)))
	}
	return "Created"
}

// psFilters builds one predicate per filter key: as podman, values of one key
// are alternatives (status=exited --filter status=running), keys all apply, and
// every label filter must hold.
func psFilters(filters []string, created func(string) (time.Time, error)) ([]func(*Summary) bool, error) {
	byKey := map[string][]func(*Summary) bool{}
	var keys []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE: %w", f, ErrInvalidArg)
		}
		var preds []func(*Summary) bool
		switch k {
		case "status":
			switch v {
			case "created", "running", "paused", "exited", "stopped", "restarting", "removing", "dead", "configured", "unknown":
			default:
				return nil, fmt.Errorf("invalid filter %q: unknown status: %w", f, ErrInvalidArg)
			}
			if v == "stopped" {
				v = StatusExited
			}
			if v == "configured" {
				v = StatusCreated
			}
			preds = append(preds, func(s *Summary) bool { return s.State == v })
		case "name":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v: %w", f, err, ErrInvalidArg)
			}
			preds = append(preds, func(s *Summary) bool { return re.MatchString(s.Names[0]) })
		case "id":
			preds = append(preds, func(s *Summary) bool { return strings.HasPrefix(s.ID, v) })
		case "label":
			lk, lv, hasV := strings.Cut(v, "=")
			preds = append(preds, func(s *Summary) bool {
				got, ok := s.Labels[lk]
				return ok && (!hasV || got == lv)
			})
		case "ancestor":
			preds = append(preds, func(s *Summary) bool {
				return s.Image == v || strings.HasPrefix(s.ImageID, v) || strings.HasSuffix(s.Image, "/"+v) ||
					strings.TrimSuffix(s.Image, ":latest") == v || strings.HasSuffix(strings.TrimSuffix(s.Image, ":latest"), "/"+v)
			})
		case "exited":
			code, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: want an exit code: %w", f, ErrInvalidArg)
			}
			preds = append(preds, func(s *Summary) bool { return s.Exited && s.ExitCode == code })
		default:
			p, ok, err := psMoreFilter(k, v, created)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("invalid filter %q: unknown key %q: %w", f, k, ErrInvalidArg)
			}
			preds = append(preds, p)
		}
		if k == "label" {
			k = f // each label filter is its own key: all must hold
		}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], preds[0])
	}
	out := make([]func(*Summary) bool, 0, len(keys))
	for _, k := range keys {
		alts := byKey[k]
		out = append(out, func(s *Summary) bool {
			for _, p := range alts {
				if p(s) {
					return true
				}
			}
			return false
		})
	}
	return out, nil
}

func sortSummaries(s []Summary) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].created.After(s[j].created) })
}

func (r *Runtime) size(id string) *SizeInfo {
	sc, err := r.store.Container(id)
	if err != nil {
		return nil
	}
	rw, err := r.store.DiffSize("", sc.LayerID)
	if err != nil {
		return nil
	}
	return &SizeInfo{RootFsSize: r.imageLayersSize(sc.LayerID), RwSize: rw}
}

// imageLayersSize sums the layers under the container's layer: podman's
// rootFsSize (the image's size; the container's own layer is rwSize).
func (r *Runtime) imageLayersSize(layer string) int64 {
	var total int64
	l, err := r.store.Layer(layer)
	for err == nil && l.Parent != "" {
		if l, err = r.store.Layer(l.Parent); err == nil {
			n, derr := r.store.DiffSize(l.Parent, l.ID)
			if derr != nil {
				break
			}
			total += n
		}
	}
	return total
}

// humanDuration is docker's go-units HumanDuration without "ago".
func humanDuration(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	case s < 120:
		return "About a minute"
	case s < 3600:
		return fmt.Sprintf("%d minutes", s/60)
	case s < 7200:
		return "About an hour"
	case s < 48*3600:
		return fmt.Sprintf("%d hours", s/3600)
	}
	return fmt.Sprintf("%d days", s/86400)
}
