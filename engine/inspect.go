package engine

import (
	"time"
)

// InspectState is the State block of `inspect` (docker/podman field names).
type InspectState struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"`
	ConmonPid  int       `json:"ConmonPid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// Health is always there, as in podman 4.3, so that the scripts' wait-for-healthy
	// loops ({{.State.Health.Status}}) read "" rather than fail: engine runs no
	// healthchecks (HEALTHCHECK is ignored).
	Health InspectHealth `json:"Health"`
}

// InspectHealth is podman's State.Health block.
type InspectHealth struct {
	Status        string `json:"Status"`
	FailingStreak int    `json:"FailingStreak"`
	Log           []any  `json:"Log"`
}

// InspectConfig is the Config block of `inspect`.
type InspectConfig struct {
	Hostname    string            `json:"Hostname"`
	User        string            `json:"User"`
	Env         []string          `json:"Env"`
	Cmd         []string          `json:"Cmd"`
	Entrypoint  []string          `json:"Entrypoint"`
	Image       string            `json:"Image"`
	WorkingDir  string            `json:"WorkingDir"`
	Labels      map[string]string `json:"Labels"`
	StopSignal  string            `json:"StopSignal"`
	StopTimeout uint              `json:"StopTimeout"`
	Tty         bool              `json:"Tty"`
	OpenStdin   bool              `json:"OpenStdin"`
	AttachStdin bool              `json:"AttachStdin"`

	SdNotifyMode   string `json:"SdNotifyMode"`
	SdNotifySocket string `json:"SdNotifySocket"`
}

// InspectHostConfig is the HostConfig block of `inspect`.
type InspectHostConfig struct {
	RestartPolicy struct {
		Name              string `json:"Name"`
		MaximumRetryCount int    `json:"MaximumRetryCount"`
	} `json:"RestartPolicy"`
	AutoRemove  bool   `json:"AutoRemove"`
	NetworkMode string `json:"NetworkMode"`
	Init        bool   `json:"Init"`
	LogConfig   struct {
		Type   string            `json:"Type"`
		Config map[string]string `json:"Config"`
	} `json:"LogConfig"`
	InspectHostResources // resources_inspect.go
	InspectHostSecurity  // security_inspect.go
}

// InspectData is `inspect` of a container.
type InspectData struct {
	ID            string            `json:"Id"`
	Created       time.Time         `json:"Created"`
	Path          string            `json:"Path"`
	Args          []string          `json:"Args"`
	State         InspectState      `json:"State"`
	Image         string            `json:"Image"`
	ImageName     string            `json:"ImageName"`
	Name          string            `json:"Name"`
	RestartCount  int               `json:"RestartCount"`
	Driver        string            `json:"Driver"`
	LogPath       string            `json:"LogPath"`
	Config        InspectConfig     `json:"Config"`
	HostConfig    InspectHostConfig `json:"HostConfig"`
	Mounts        []InspectMount    `json:"Mounts"`
	IsInfra       bool              `json:"IsInfra"`
	ConmonPidFile string            `json:"ConmonPidFile"`
	InspectCaps                     // security_inspect.go

	// NetworkSettings is filled by inspectNet (network_inspect.go).
	NetworkSettings *InspectNetworkSettings `json:"NetworkSettings"`
}

// Inspect returns the container's inspect record.
func (c *Container) Inspect() (*InspectData, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	cfg := c.Config
	d := &InspectData{
		ID: c.ID, Created: cfg.Created, Args: []string{}, Image: cfg.ImageID, ImageName: cfg.ImageName,
		Name: c.Name, Driver: c.r.store.GraphDriverName(), LogPath: c.LogPath(), Mounts: []InspectMount{},
		State: InspectState{
			Status: st.Status, Running: st.Status == StatusRunning, Paused: st.Status == StatusPaused,
			Pid: st.Pid, ConmonPid: st.MonitorPid, ExitCode: st.ExitCode,
			StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
		},
		Config: InspectConfig{
			Hostname: cfg.Hostname, User: cfg.User, Env: cfg.Env, Cmd: cfg.Cmd, Entrypoint: cfg.Entrypoint,
			Image: cfg.Image, WorkingDir: cfg.WorkDir, Labels: cfg.Labels, StopSignal: cfg.StopSignal,
			StopTimeout: cfg.StopTimeout, Tty: cfg.TTY, OpenStdin: cfg.Interactive, AttachStdin: cfg.Interactive,
			SdNotifyMode: cfg.SdNotifyMode, SdNotifySocket: cfg.SdNotifySocket,
		},
	}
	if d.Config.Hostname == "" {
		d.Config.Hostname = shortID(c.ID)
	}
	if d.Config.StopSignal == "" {
		d.Config.StopSignal = "SIGTERM"
	}
	if st.MonitorLost {
		d.State.Error = "the container's monitor died; state reconciled"
	}
	if len(cfg.Args) > 0 {
		d.Path, d.Args = cfg.Args[0], cfg.Args[1:]
	}
	if run, err := c.RunDir(); err == nil {
		d.ConmonPidFile = run + "/" + fileMonitorPid
		d.RestartCount = c.restarts(run)
	}
	d.HostConfig.RestartPolicy.Name = cfg.Restart.Name
	d.HostConfig.RestartPolicy.MaximumRetryCount = cfg.Restart.MaxRetries
	d.HostConfig.AutoRemove = cfg.Remove
	d.HostConfig.NetworkMode = cfg.Network
	d.HostConfig.Init = cfg.Init
	d.HostConfig.LogConfig.Type = "json-file"
	c.inspectMounts(d)
	c.inspectResources(d)
	c.inspectSecurity(d)
	c.inspectNet(d)
	return d, nil
}
