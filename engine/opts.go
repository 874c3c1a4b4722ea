package engine

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"

	"github.com/docker/go-units"
)

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func validName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed: %w", name, ErrInvalidArg)
	}
	return nil
}

var (
	adjectives = strings.Fields("admiring brave calm clever dazzling eager elegant festive gentle happy jolly keen kind lucid modest nifty optimistic peaceful quirky relaxed serene sharp sleepy stoic tender trusting upbeat vibrant wizardly youthful zealous")
	surnames   = strings.Fields("lovelace turing hopper curie noether ritchie thompson pike kernighan knuth dijkstra liskov hamilton shannon babbage torvalds wozniak allen goldberg lamport backus mccarthy perlman stallman tanenbaum wirth hoare cerf kay")
)

// generateName makes a docker-style name; a clash is caught by the store and is
// unlikely enough that a second draw is not worth the code.
func generateName() string {
	return adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))] + fmt.Sprintf("%d", rand.IntN(1000))
}

// applyEnv adds --env-file contents, then -e values; "-e NAME" takes the value from
// the caller's environment, as docker does.
func applyEnv(cfg *Config, env, files []string) error {
	var add []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return fmt.Errorf("reading env file: %w", err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			add = append(add, line)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading env file %s: %w", f, err)
		}
	}
	add = append(add, env...)
	for _, kv := range add {
		k, _, hasV := strings.Cut(kv, "=")
		if k == "" {
			return fmt.Errorf("invalid environment variable %q: %w", kv, ErrInvalidArg)
		}
		if !hasV {
			v, ok := os.LookupEnv(k)
			if !ok {
				continue
			}
			kv = k + "=" + v
		}
		cfg.Env = setEnv(cfg.Env, kv)
	}
	return nil
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// parseLogOpts reads --log-opt max-size=10m, max-file=3.
func parseLogOpts(opts []string) (int64, int, error) {
	var size int64
	files := 1
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return 0, 0, fmt.Errorf("invalid --log-opt %q: want KEY=VALUE: %w", o, ErrInvalidArg)
		}
		switch k {
		case "max-size":
			n, err := units.RAMInBytes(v)
			if err != nil || n < 0 {
				return 0, 0, fmt.Errorf("invalid --log-opt %q: %w", o, ErrInvalidArg)
			}
			size = n
		case "max-file":
			if _, err := fmt.Sscanf(v, "%d", &files); err != nil || files < 1 {
				return 0, 0, fmt.Errorf("invalid --log-opt %q: want a count of at least 1: %w", o, ErrInvalidArg)
			}
		case "path", "tag":
			// accepted, not used: logs always go next to the container's data
		default:
			return 0, 0, fmt.Errorf("invalid --log-opt %q: unknown option %q: %w", o, k, ErrInvalidArg)
		}
	}
	return size, files, nil
}
