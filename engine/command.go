package engine

import (
	"fmt"
	"os"
	"path"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// checkCommand finds the container's command in its rootfs the way exec(3) would with
// the container's PATH, resolving symlinks inside the rootfs. The OCI runtime only
// finds out after the container started, too late for docker's exit codes: 127 when
// the command does not exist, 126 when it cannot be executed.
func checkCommand(rootfs string, cfg *Config) error {
	cmd := cfg.Args[0]
	var candidates []string
	if strings.Contains(cmd, "/") {
		p := cmd
		if !path.IsAbs(p) {
			wd := cfg.WorkDir
			if wd == "" {
				wd = "/"
			}
			p = path.Join(wd, p)
		}
		candidates = []string{p}
	} else {
		pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		for _, e := range cfg.Env {
			if strings.HasPrefix(e, "PATH=") {
				pathEnv = e[5:]
			}
		}
		for _, dir := range strings.Split(pathEnv, ":") {
			if dir != "" {
				candidates = append(candidates, path.Join(dir, cmd))
			}
		}
	}
	notExec := ""
	for _, c := range candidates {
		host, err := securejoin.SecureJoin(rootfs, c)
		if err != nil {
			continue
		}
		fi, err := os.Stat(host)
		if err != nil {
			continue
		}
		if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			notExec = c
			continue
		}
		return nil
	}
	if notExec != "" {
		return &ExitError{Code: 126, Msg: fmt.Sprintf("%s: permission denied: OCI permission denied", notExec)}
	}
	return &ExitError{Code: 127, Msg: fmt.Sprintf("%s: executable file not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found", cmd)}
}
