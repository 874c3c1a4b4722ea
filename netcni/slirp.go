package netcni

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Rootless containers reach the world through slirp4netns, a user-mode TCP/IP stack
// that holds a tap device in the container's netns. It is started detached (its own
// session, no tie to this short-lived CLI), with an API socket for port forwarding;
// its pid is in the network state and Teardown kills it.
const (
	slirpGuestIP = "10.0.2.100"
	slirpDNS     = "10.0.2.3"
	slirpNetwork = "slirp4netns" // registry name for the store's slirp containers (ports in use)
	slirpSocket  = "slirp.sock"
)

func (m *Manager) startSlirp(runDir string, st *State) error {
	bin, err := exec.LookPath("slirp4netns")
	if err != nil {
		return fmt.Errorf("rootless networking needs slirp4netns: %w", err)
	}
	if err := m.register(slirpNetwork, st.ContainerID, runDir); err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	logf, err := os.OpenFile(filepath.Join(runDir, "slirp4netns.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		pw.Close()
		return err
	}
	defer logf.Close()
	// The socket path is relative to the run dir (its absolute path can pass the
	// 108-byte limit of a unix socket address).
	cmd := exec.Command(bin, "--configure", "--mtu=65520", "--disable-host-loopback", "--netns-type=path",
		"--api-socket", slirpSocket, "--ready-fd=3", st.NetNS, "tap0")
	cmd.Dir = runDir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("starting slirp4netns: %w", err)
	}
	pw.Close()
	st.SlirpPid = cmd.Process.Pid
	st.SlirpSocket = filepath.Join(runDir, slirpSocket)
	_ = cmd.Process.Release()
	if err := writeState(runDir, st); err != nil {
		return err
	}
	ready := make(chan error, 1)
	go func() {
		b := make([]byte, 1)
		_, err := pr.Read(b)
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(runDir, "slirp4netns.log"))
			return fmt.Errorf("slirp4netns failed: %s", oneLine(string(log)))
		}
	case <-time.After(10 * time.Second):
		return fmt.Errorf("slirp4netns not ready after 10s")
	}
	for _, p := range st.Ports {
		if err := slirpForward(runDir, p); err != nil {
			return err
		}
	}
	return nil
}

// slirpForward asks slirp4netns (through its API socket) to forward a host port.
func slirpForward(runDir string, p PortMapping) error {
	dir, err := os.Open(runDir)
	if err != nil {
		return err
	}
	defer dir.Close()
	conn, err := net.Dial("unix", fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), slirpSocket))
	if err != nil {
		return fmt.Errorf("connecting to slirp4netns: %w", err)
	}
	defer conn.Close()
	hostIP := p.HostIP
	if hostIP == "" {
		hostIP = "0.0.0.0"
	}
	req := map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
		"proto": p.Protocol, "host_addr": hostIP, "host_port": p.HostPort, "guest_addr": slirpGuestIP, "guest_port": p.ContainerPort}}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return err
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	line, _ := bufio.NewReader(conn).ReadString('\n')
	var resp struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &resp); err != nil || resp.Error != nil {
		return fmt.Errorf("publishing port %d/%s through slirp4netns: %s: %w", p.HostPort, p.Protocol, strings.TrimSpace(line), ErrInUse)
	}
	return nil
}

// stopSlirp kills the container's slirp4netns, if it is still that process.
func stopSlirp(st *State) {
	pid := st.SlirpPid
	if pid <= 0 {
		return
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.Contains(string(cmdline), st.NetNS) {
		return // gone, or the pid was reused
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/cmdline"); err != nil || isZombie(pid) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}
