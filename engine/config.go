package engine

import (
	"encoding/json"
	"fmt"
	"time"

	jsoniter "github.com/json-iterator/go"
)

// Config is what `create` was asked for, kept as the containers/storage container's
// metadata: `ps` then reads every container's config with one read of containers.json.
type Config struct {
	Engine      int               `json:"engine"` // 1: made by engine (the store is shared with podman)
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Image       string            `json:"image"`   // as the user typed it
	ImageID     string            `json:"imageId"` // resolved
	ImageName   string            `json:"imageName,omitempty"`
	Entrypoint  []string          `json:"entrypoint,omitempty"`
	Cmd         []string          `json:"cmd,omitempty"`
	Env         []string          `json:"env,omitempty"`
	WorkDir     string            `json:"workDir,omitempty"`
	User        string            `json:"user,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	TTY         bool              `json:"tty,omitempty"`
	Interactive bool              `json:"interactive,omitempty"`
	Remove      bool              `json:"remove,omitempty"`
	Init        bool              `json:"init,omitempty"`
	Restart     RestartPolicy     `json:"restart"`
	StopSignal  string            `json:"stopSignal,omitempty"`
	StopTimeout uint              `json:"stopTimeout"`
	LogMaxSize  int64             `json:"logMaxSize,omitempty"`
	LogMaxFiles int               `json:"logMaxFiles,omitempty"`
	Network     string            `json:"network,omitempty"`
	Mounts      MountConfig       `json:"mounts"`    // mounts.go
	Resources   ResourceConfig    `json:"resources"` // resources.go
	Security    SecurityConfig    `json:"security"`  // security.go
	Net         NetConfig         `json:"net"`       // network.go
	Created     time.Time         `json:"created"`
	// SdNotifyMode is --sdnotify; SdNotifySocket the NOTIFY_SOCKET at create
	// (systemd.go).
	SdNotifyMode   string `json:"sdNotifyMode,omitempty"`
	SdNotifySocket string `json:"sdNotifySocket,omitempty"`
	// Args is the full command line the container runs: entrypoint + cmd.
	Args []string `json:"args"`
}

// RestartPolicy is docker's --restart.
type RestartPolicy struct {
	Name       string `json:"name"` // no, always, on-failure, unless-stopped
	MaxRetries int    `json:"maxRetries,omitempty"`
}

func (c *Config) marshal() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding config of %s: %w", c.Name, err)
	}
	return string(b), nil
}

// fastJSON decodes what is read for every container on every `ps` (the store's
// records, each container's config) about twice as fast as encoding/json; it is
// what containers/storage uses for the same files.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

func parseConfig(id, metadata string) (*Config, error) {
	var c Config
	if err := fastJSON.UnmarshalFromString(metadata, &c); err != nil {
		return nil, fmt.Errorf("container %s: reading config: %w", shortID(id), err)
	}
	c.ID = id
	return &c, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
