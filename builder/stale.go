package builder

import (
	"os"
	"strconv"
	"syscall"
)

// builderLabel marks a RUN container with the pid of the build that runs it.
// A build that is killed cannot remove its container (the monitor keeps it
// running); the next build that runs a container removes those whose build is
// gone.
const builderLabel = "engine.build.pid"

// removeStaleContainers removes the RUN containers of builds that died. It runs
// once per build, before its first container: a cached build never lists the
// containers.
func (b *build) removeStaleContainers() {
	if b.staleChecked {
		return
	}
	b.staleChecked = true
	all, err := b.r.List()
	if err != nil {
		return
	}
	for _, c := range all {
		v, ok := c.Config.Labels[builderLabel]
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(v)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = c.RemoveWith(true, true)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
