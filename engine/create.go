package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cstorage "go.podman.io/storage"

	"github.com/engine-dev/engine/storage"
)

// CreateOptions are `create`/`run` options.
type CreateOptions struct {
	Image       string
	Name        string
	Cmd         []string // after the image name
	Entrypoint  *string  // --entrypoint; "" clears the image's
	Env         []string
	EnvFiles    []string
	WorkDir     string
	User        string
	Hostname    string
	Labels      map[string]string
	TTY         bool
	Interactive bool
	Remove      bool
	Init        bool
	Restart     string
	StopSignal  string
	StopTimeout *uint
	LogOpts     []string
	Pull        string // missing (default), always, never
	Mounts      MountOptions
	Resources   ResourceOptions
	Security    SecurityOptions
	Net         NetOptions
	PullOptions storage.PullOptions
	PullOutput  io.Writer // where to report a pull; nil for none

	// systemd.go: --replace, --sdnotify, the NOTIFY_SOCKET it applies to, --cgroups.
	Replace      bool
	SdNotify     string
	NotifySocket string
	Cgroups      string
}

// Create makes a container from an image; it does not start it.
func (r *Runtime) Create(ctx context.Context, o CreateOptions) (*Container, error) {
	restart, err := ParseRestart(o.Restart)
	if err != nil {
		return nil, err
	}
	if restart.Name != "no" && o.Remove {
		return nil, fmt.Errorf("the --rm option conflicts with --restart %s: %w", restart.Name, ErrInvalidArg)
	}
	if o.StopSignal != "" {
		if _, err := ParseSignal(o.StopSignal); err != nil {
			return nil, fmt.Errorf("invalid stop signal %q: %w", o.StopSignal, ErrInvalidArg)
		}
	}
	maxSize, maxFiles, err := parseLogOpts(o.LogOpts)
	if err != nil {
		return nil, err
	}
	img, err := r.imageFor(ctx, o)
	if err != nil {
		return nil, err
	}
	ic, err := r.store.ImageConfig(img.ID)
	if err != nil {
		return nil, err
	}
	cfg := &Config{
		Engine: 1, Image: o.Image, ImageID: img.ID, Name: o.Name, Env: ic.Env,
		WorkDir: ic.WorkingDir, User: ic.User, Hostname: o.Hostname, Labels: mergeLabels(ic.Labels, o.Labels),
		TTY: o.TTY, Interactive: o.Interactive, Remove: o.Remove, Init: o.Init, Restart: restart,
		StopSignal: ic.StopSignal, StopTimeout: 10, LogMaxSize: maxSize, LogMaxFiles: maxFiles,
		Created: time.Now().UTC(), Entrypoint: ic.Entrypoint, Cmd: ic.Cmd,
	}
	if len(img.Names) > 0 {
		cfg.ImageName = img.Names[0]
	}
	if o.Entrypoint != nil {
		cfg.Entrypoint = nil
		if *o.Entrypoint != "" {
			cfg.Entrypoint = []string{*o.Entrypoint}
		}
		cfg.Cmd = nil
	}
	if len(o.Cmd) > 0 {
		cfg.Cmd = o.Cmd
	}
	cfg.Args = append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(cfg.Args) == 0 {
		// podman's wording, without the "invalid argument" its message lacks too.
		return nil, fmt.Errorf("no command or entrypoint provided, and no CMD or ENTRYPOINT from image")
	}
	if err := applyEnv(cfg, o.Env, o.EnvFiles); err != nil {
		return nil, err
	}
	if o.WorkDir != "" {
		if !strings.HasPrefix(o.WorkDir, "/") {
			return nil, fmt.Errorf("invalid working directory %q: must be absolute: %w", o.WorkDir, ErrInvalidArg)
		}
		cfg.WorkDir = o.WorkDir
	}
	if o.User != "" {
		cfg.User = o.User
	}
	if o.StopSignal != "" {
		cfg.StopSignal = o.StopSignal
	}
	if o.StopTimeout != nil {
		cfg.StopTimeout = *o.StopTimeout
	}
	if err := r.applyMounts(cfg, o.Mounts, ic); err != nil {
		return nil, err
	}
	if err := r.applyResources(cfg, o.Resources); err != nil {
		return nil, err
	}
	if err := r.applySecurity(cfg, o.Security); err != nil {
		return nil, err
	}
	if err := r.applyNet(cfg, o.Net, ic); err != nil {
		return nil, err
	}
	if err := applySystemd(cfg, o); err != nil {
		return nil, err
	}
	if o.Replace {
		if err := r.replaceNamed(o.Name); err != nil {
			return nil, err
		}
	}
	ctr, err := r.createRecord(cfg, img.TopLayer)
	if err != nil {
		return nil, err
	}
	// Named volumes exist once the container does, as with podman (`volume ls`
	// after `create -v name:/x` shows it).
	if err := ctr.CreateVolumes(); err != nil {
		_ = ctr.Remove(true)
		return nil, err
	}
	return ctr, nil
}

func (r *Runtime) createRecord(cfg *Config, topLayer string) (*Container, error) {
	if cfg.Name != "" {
		if err := validName(cfg.Name); err != nil {
			return nil, err
		}
		return r.createNamed(cfg)
	}
	// A generated name can collide with an earlier one: pick another, as podman.
	for attempt := 0; ; attempt++ {
		cfg.Name = generateName()
		c, err := r.createNamed(cfg)
		if errors.Is(err, ErrNameInUse) && attempt < 10 {
			continue
		}
		return c, err
	}
}

// createNamed writes the container's record under cfg.Name.
func (r *Runtime) createNamed(cfg *Config) (*Container, error) {
	name := cfg.Name
	meta, err := cfg.marshal()
	if err != nil {
		return nil, err
	}
	// containers/storage checks the name under its lock: of two racing creates with one
	// name exactly one wins.
	// --rm containers are volatile, as podman makes them: their records and
	// layers are written without fsync, their overlay upper too.
	idOpts, err := r.storageIDOptions(cfg)
	if err != nil {
		return nil, err
	}
	sc, err := r.store.CreateContainer("", []string{name}, cfg.ImageID, "", meta,
		&cstorage.ContainerOptions{Volatile: cfg.Remove, IDMappingOptions: idOpts})
	if err != nil {
		if errors.Is(err, cstorage.ErrDuplicateName) {
			return nil, fmt.Errorf("the container name %q is already in use: %w", name, ErrNameInUse)
		}
		return nil, fmt.Errorf("creating container %s: %w", name, err)
	}
	cfg.ID = sc.ID
	ctr := &Container{ID: sc.ID, Name: name, Config: cfg, Layer: sc.LayerID, r: r}
	if len(sc.UIDMap) > 0 {
		// The mappings are known once containers/storage picked them (auto).
		cfg.Security.UIDMap, cfg.Security.GIDMap = specIDMappings(sc.UIDMap), specIDMappings(sc.GIDMap)
		if err := ctr.saveConfig(); err != nil {
			_ = r.store.DeleteContainer(sc.ID)
			return nil, err
		}
	}
	// The container's directory holds its lock; made here once, so that a
	// command that finds it missing knows the container was removed.
	if _, err := r.store.ContainerDirectory(sc.ID); err != nil {
		_ = r.store.DeleteContainer(sc.ID)
		return nil, fmt.Errorf("creating container %s: %w", name, err)
	}
	return ctr, nil
}

// imageFor finds or pulls the image, following --pull.
func (r *Runtime) imageFor(ctx context.Context, o CreateOptions) (*cstorage.Image, error) {
	policy := o.Pull
	if policy == "" {
		policy = "missing"
	}
	switch policy {
	case "missing", "always", "never", "newer":
	default:
		return nil, fmt.Errorf("invalid --pull %q (want missing, always, never or newer): %w", policy, ErrInvalidArg)
	}
	if policy != "always" {
		img, err := r.store.LookupImage(o.Image)
		if err == nil {
			return img, nil
		}
		if !storage.IsNotFound(err) || policy == "never" {
			return nil, err
		}
	}
	po := o.PullOptions
	po.Progress = o.PullOutput
	return r.store.Pull(ctx, o.Image, po)
}

// ParseRestart parses --restart: no, always, unless-stopped, on-failure[:N].
func ParseRestart(s string) (RestartPolicy, error) {
	if s == "" {
		return RestartPolicy{Name: "no"}, nil
	}
	name, n, hasN := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if hasN {
			return RestartPolicy{}, fmt.Errorf("invalid restart policy %q: only on-failure takes a retry count: %w", s, ErrInvalidArg)
		}
		return RestartPolicy{Name: name}, nil
	case "on-failure":
		p := RestartPolicy{Name: name}
		if hasN {
			if _, err := fmt.Sscanf(n, "%d", &p.MaxRetries); err != nil || p.MaxRetries < 0 {
				return RestartPolicy{}, fmt.Errorf("invalid restart policy %q: bad retry count: %w", s, ErrInvalidArg)
			}
		}
		return p, nil
	}
	return RestartPolicy{}, fmt.Errorf("invalid restart policy %q (want no, always, on-failure[:N] or unless-stopped): %w", s, ErrInvalidArg)
}

func mergeLabels(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
