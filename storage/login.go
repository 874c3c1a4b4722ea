package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
)

// ErrBadCredentials is returned when a registry refuses a user name and password.
var ErrBadCredentials = errors.New("invalid username/password")

// Login checks user and password against registry and, when they work, stores them in
// auth.json (--authfile, REGISTRY_AUTH_FILE, or $XDG_RUNTIME_DIR/containers/auth.json).
func (s *Store) Login(ctx context.Context, registry, user, password string, opts RegistryOptions) error {
	registry = registryKey(registry)
	if registry == "" {
		return fmt.Errorf("login: no registry given")
	}
	if user == "" {
		return fmt.Errorf("login %s: user name is empty", registry)
	}
	opts.Creds = ""
	sys, err := s.registryContext(opts)
	if err != nil {
		return err
	}
	if err := docker.CheckAuth(ctx, sys, user, password, registry); err != nil {
		var unauth docker.ErrUnauthorizedForCredentials
		if errors.As(err, &unauth) {
			return fmt.Errorf("logging into %q: %w", registry, ErrBadCredentials)
		}
		return fmt.Errorf("logging into %q: %w", registry, err)
	}
	if _, err := config.SetCredentials(sys, registry, user, password); err != nil {
		return fmt.Errorf("storing credentials for %q: %w", registry, err)
	}
	return nil
}

// LoginUser returns the user name stored for registry (podman's login --get-login);
// an error when none is.
func (s *Store) LoginUser(registry string, opts RegistryOptions) (string, error) {
	sys, err := s.registryContext(RegistryOptions{AuthFile: opts.AuthFile})
	if err != nil {
		return "", err
	}
	registry = registryKey(registry)
	auth, err := config.GetCredentials(sys, registry)
	if err != nil {
		return "", fmt.Errorf("reading credentials for %q: %w", registry, err)
	}
	if auth.Username == "" {
		return "", fmt.Errorf("not logged into %s", registry)
	}
	return auth.Username, nil
}

// Logout removes the stored credentials of registry, or of every registry.
func (s *Store) Logout(registry string, all bool, opts RegistryOptions) error {
	sys, err := s.registryContext(RegistryOptions{AuthFile: opts.AuthFile})
	if err != nil {
		return err
	}
	if all {
		if err := config.RemoveAllAuthentication(sys); err != nil {
			return fmt.Errorf("removing all credentials: %w", err)
		}
		return nil
	}
	registry = registryKey(registry)
	if err := config.RemoveAuthentication(sys, registry); err != nil {
		if errors.Is(err, config.ErrNotLoggedIn) {
			return fmt.Errorf("not logged into %s", registry)
		}
		return fmt.Errorf("removing credentials for %q: %w", registry, err)
	}
	return nil
}

// registryKey strips a scheme and path from a registry argument ("https://host/v2/").
func registryKey(r string) string {
	r = strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://")
	r = strings.TrimPrefix(r, "docker://")
	if i := strings.Index(r, "/"); i >= 0 {
		r = r[:i]
	}
	return r
}
