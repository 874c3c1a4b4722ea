package netcni

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// startDel starts CNI DEL of attachment a, with the plugins of its chain running
// at once (see cniExec), and returns the function that waits for them.
func (m *Manager) startDel(ctx context.Context, st *State, a *Attachment) func() error {
	list, err := libcni.ConfListFromBytes(a.Conflist)
	if err != nil {
		return func() error { return fmt.Errorf("tearing down network %s: %w", a.Network, err) }
	}
	e := &cniExec{async: true}
	if a.Pinned {
		e.paths = m.delPaths(a.Conflist)
	}
	err = m.cni(e).DelNetworkList(ctx, list, m.runtimeConf(st, a, Request{}))
	return func() error {
		if werr := e.wait(); err == nil {
			err = werr
		}
		if err != nil {
			return fmt.Errorf("tearing down network %s: %s", a.Network, oneLine(err.Error()))
		}
		return nil
	}
}

// cniDel runs CNI DEL of attachment a and waits for it.
func (m *Manager) cniDel(ctx context.Context, st *State, a *Attachment) error {
	return m.startDel(ctx, st, a)()
}

// pluginConf is what delPaths reads of one plugin of a recorded conflist.
type pluginConf struct {
	Type          string `json:"type"`
	IPMasq        bool   `json:"ipMasq"`
	IPMasqBackend string `json:"ipMasqBackend"`
	Backend       string `json:"backend"`
}

// delPaths gives the DEL of each plugin of a recorded conflist a PATH holding only
// the netfilter tool its ADD used. The bridge plugin's DEL tears masquerade down
// with iptables and with nftables whatever ADD used, and portmap's iptables DEL
// tears down IPv6 rules too; each finds nothing but costs execs (six of iptables,
// four of nft, two of ip6tables). They skip a tool they cannot find (the plugins'
// SupportsIPTables/SupportsNFTables and maybeGetIptables checks), so hiding the
// unused ones is exact: engine's networks are IPv4 only, and the recorded conflist
// says which backend ADD used (with engine's own plugin build, Attachment.Pinned;
// others may ignore the backend options). Plugins not listed keep the caller's
// PATH.
func (m *Manager) delPaths(conflist []byte) map[string]string {
	var f struct {
		Plugins []pluginConf `json:"plugins"`
	}
	if json.Unmarshal(conflist, &f) != nil {
		return nil
	}
	out := map[string]string{}
	for _, p := range f.Plugins {
		var tools []string
		switch p.Type {
		case "bridge":
			if p.IPMasq {
				tools = []string{netfilterTool(p.IPMasqBackend)}
			}
		case "portmap":
			tools = []string{netfilterTool(p.Backend)}
		case "tuning", "macvlan", "host-local":
		default:
			continue
		}
		if dir, ok := m.toolPath(tools); ok {
			out[p.Type] = dir
		}
	}
	return out
}

// netfilterTool is the command a plugin's backend setting runs (the plugins'
// default is iptables).
func netfilterTool(backend string) string {
	if backend == "nftables" {
		return "nft"
	}
	return "iptables"
}

// toolPath is a directory of the store's run root holding links to the host's
// tools (and nothing else), for a plugin's PATH. false when a tool is missing.
func (m *Manager) toolPath(tools []string) (string, bool) {
	sort.Strings(tools)
	dir := filepath.Join(m.stateDir, "path", "only-"+strings.Join(tools, "-"))
	for _, t := range tools {
		bin, err := exec.LookPath(t)
		if err != nil {
			return "", false
		}
		if bin, err = filepath.Abs(bin); err != nil {
			return "", false
		}
		if err := linkTool(filepath.Join(dir, t), bin); err != nil {
			return "", false
		}
	}
	if len(tools) == 0 {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false
		}
	}
	return dir, true
}

// linkTool makes link point at bin (atomically; kept when it does already).
func linkTool(link, bin string) error {
	if target, err := os.Readlink(link); err == nil && target == bin {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", link, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(bin, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// masqBackend is the netfilter backend of the bridge plugin's masquerade:
// iptables. Measured here (2 cores, iptables-nft 1.8.9, nft 1.0.6), one ADD costs
// the same CPU with either backend (eleven short execs of iptables, or four of nft
// that each load a ruleset cache), and DEL with iptables (six execs) costs half of
// nft's (four).
func masqBackend() string {
	return "iptables"
}

// portmapBackend is portmap's: nftables when nft is installed and the plugin is
// engine's own build (a distribution's older portmap ignores the option and uses
// iptables). Its ADD is one nft transaction (three execs) where the iptables
// backend runs about twenty execs of iptables.
func portmapBackend(pinned bool) string {
	if !pinned {
		return "iptables"
	}
	if _, err := exec.LookPath("nft"); err == nil {
		return "nftables"
	}
	return "iptables"
}
