package cli

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/netcni"
)

// networkCommands are `engine network ...`.
func networkCommands() []*cli.Command {
	return []*cli.Command{{Name: "network", Usage: "manage networks", Subcommands: []*cli.Command{
		{Name: "create", Usage: "create a network", ArgsUsage: "[NAME]", Action: networkCreateAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "bridge", Usage: "bridge or macvlan"},
			&cli.StringFlag{Name: "subnet", Usage: "CIDR"},
			&cli.StringFlag{Name: "gateway"},
			&cli.StringFlag{Name: "ip-range", Usage: "CIDR inside the subnet to allocate from"},
			&cli.BoolFlag{Name: "internal", Usage: "no outbound traffic"},
			&cli.StringSliceFlag{Name: "label"},
			&cli.StringSliceFlag{Name: "opt", Aliases: []string{"o"}, Usage: "driver options (macvlan: parent=IFACE)"},
		}},
		{Name: "ls", Aliases: []string{"list"}, Usage: "list networks", Action: networkLsAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}},
			&cli.StringFlag{Name: "format", Usage: "json or a Go template"},
			&cli.BoolFlag{Name: "noheading", Aliases: []string{"n"}},
			&cli.BoolFlag{Name: "no-trunc"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, id=, driver=, label=, label!=, until=, dangling="},
		}},
		{Name: "inspect", Usage: "show networks in detail", ArgsUsage: "NAME...", Action: networkInspectAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}},
		}},
		{Name: "rm", Aliases: []string{"remove"}, Usage: "remove networks", ArgsUsage: "NAME...", Action: networkRmAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "also remove the containers using it"},
		}},
		{Name: "prune", Usage: "remove unused networks and leftovers of killed containers", Action: networkPruneAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"},
			&cli.StringSliceFlag{Name: "filter", Usage: "label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP"},
		}},
		{Name: "connect", Usage: "connect a container to a network", ArgsUsage: "NETWORK CONTAINER", Action: networkConnectAction, Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "alias"},
			&cli.StringFlag{Name: "ip"},
			&cli.StringFlag{Name: "mac-address"},
		}},
		{Name: "disconnect", Usage: "disconnect a container from a network", ArgsUsage: "NETWORK CONTAINER", Action: networkDisconnectAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}},
		}},
		{Name: "exists", Usage: "exit 0 if the network exists, 1 if not", ArgsUsage: "NAME", Action: networkExistsAction},
	}}}
}

func networkCreateAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return fmt.Errorf("network create takes at most one network name")
	}
	name := c.Args().First() // none: engine names it, as podman does
	o := netcni.CreateOptions{Name: name, Driver: c.String("driver"), Subnet: c.String("subnet"), Gateway: c.String("gateway"),
		IPRange: c.String("ip-range"), Internal: c.Bool("internal"), Labels: kvMap(c.StringSlice("label")), Options: kvMap(c.StringSlice("opt"))}
	return withRuntime(c, func(r *engine.Runtime) error {
		n, err := r.Networks().Create(o)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, n.Name)
		return nil
	})
}

func kvMap(list []string) map[string]string {
	if len(list) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, l := range list {
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out
}

// isJSONTemplate is podman's other spelling of --format json, "{{json .}}" (its
// report.IsJSON).
func isJSONTemplate(f string) bool {
	return regexp.MustCompile(`^\{\{\s*json\s+\.\s*\}\}$`).MatchString(f)
}

// networkRow is one line of `network ls`: podman's template fields (its
// ListPrintReports embeds the network, with ID truncated and Labels as
// "k=v,..."); Subnets is the subnets, comma-separated.
type networkRow struct {
	ID, Name, Driver, Subnets, NetworkInterface, Labels string
	Created                                             time.Time
	IPv6Enabled, Internal, DNSEnabled                   bool
	Options, IPAMOptions                                map[string]string
}

func newNetworkRow(n *netcni.Network, noTrunc bool) networkRow {
	row := networkRow{ID: trunc(n.ID, noTrunc), Name: n.Name, Driver: n.Driver, Created: n.Created,
		NetworkInterface: n.NetworkInterface, IPv6Enabled: n.IPv6Enabled, Internal: n.Internal, DNSEnabled: n.DNSEnabled,
		Options: n.Options, IPAMOptions: n.IPAMOptions}
	var subs, labels []string
	for _, s := range n.Subnets {
		subs = append(subs, s.Subnet)
	}
	for k, v := range n.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	row.Subnets, row.Labels = strings.Join(subs, ","), strings.Join(labels, ",")
	return row
}

func networkLsAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		all, err := r.Networks().List()
		if err != nil {
			return err
		}
		keep, err := networkFilter(c.StringSlice("filter"), networkLsFilters, r.UsedNetworks)
		if err != nil {
			return err
		}
		var nets []*netcni.Network
		for _, n := range all {
			if keep(n) {
				nets = append(nets, n)
			}
		}
		if f := strings.TrimSpace(c.String("format")); f == "json" || isJSONTemplate(f) {
			return format.JSON(c.App.Writer, nonNilSlice(nets))
		}
		if c.Bool("quiet") {
			for _, n := range nets {
				fmt.Fprintln(c.App.Writer, n.Name)
			}
			return nil
		}
		rows := make([]networkRow, 0, len(nets))
		for _, n := range nets {
			rows = append(rows, newNetworkRow(n, c.Bool("no-trunc")))
		}
		tmpl := "table {{.ID}}\t{{.Name}}\t{{.Driver}}"
		if f := c.String("format"); f != "" {
			tmpl = f
		}
		return format.Rows(c.App.Writer, tmpl, rows, map[string]string{"ID": "NETWORK ID"}, c.Bool("noheading"))
	})
}

func networkInspectAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("network inspect requires at least one network name")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		var out []any
		var errs []error
		for _, name := range c.Args().Slice() {
			n, err := r.Networks().Get(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, n)
		}
		f := c.String("format")
		if f == "" || f == "json" {
			return printInspect(c, out, errs)
		}
		if isJSONTemplate(strings.TrimSpace(f)) { // podman: the same as json
			if len(out) > 0 {
				if err := format.JSON(c.App.Writer, out); err != nil {
					return err
				}
			}
			return errors.Join(errs...)
		}
		// podman's templates name the Go fields ({{.Name}}, {{.NetworkInterface}},
		// {{range .Subnets}}{{.Gateway}}{{end}}), not the JSON keys.
		for _, n := range out {
			if err := format.Value(c.App.Writer, f, n); err != nil {
				return err
			}
		}
		return errors.Join(errs...)
	})
}

func networkRmAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("network rm requires at least one network name")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		var errs []error
		for _, name := range c.Args().Slice() {
			if err := r.RemoveNetwork(name, c.Bool("force")); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintln(c.App.Writer, name)
		}
		return errors.Join(errs...)
	})
}

func networkPruneAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		keep, err := networkFilter(c.StringSlice("filter"), networkPruneFilters, r.UsedNetworks)
		if err != nil {
			return err
		}
		if !c.Bool("force") {
			ok, err := confirm(c, "WARNING! This will remove all networks not used by at least one container.")
			if err != nil || !ok {
				return err
			}
		}
		removed, err := r.PruneNetworks(keep)
		for _, n := range removed {
			fmt.Fprintln(c.App.Writer, n)
		}
		return err
	})
}

func twoArgs(c *cli.Context) (string, string, error) {
	if c.NArg() != 2 {
		return "", "", fmt.Errorf("%s requires exactly 2 arguments: NETWORK CONTAINER", c.Command.FullName())
	}
	return c.Args().Get(0), c.Args().Get(1), nil
}

func networkConnectAction(c *cli.Context) error {
	network, name, err := twoArgs(c)
	if err != nil {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		return ctr.Connect(network, c.StringSlice("alias"), c.String("ip"), c.String("mac-address"))
	})
}

func networkDisconnectAction(c *cli.Context) error {
	network, name, err := twoArgs(c)
	if err != nil {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		return ctr.Disconnect(network)
	})
}

func networkExistsAction(c *cli.Context) error {
	name, err := oneArg(c, "network name")
	if err != nil {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if _, err := r.Networks().Get(name); err != nil {
			if errors.Is(err, netcni.ErrNoSuchNetwork) {
				return withCode(1, errors.New(""))
			}
			return err
		}
		return nil
	})
}

// printPorts is `port CONTAINER [PRIVATE_PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:8080",
// or only the host side for one port.
func printPorts(w io.Writer, ports []netcni.PortMapping, only string) error {
	asked := only
	if only != "" && !strings.Contains(only, "/") {
		only += "/tcp"
	}
	found := false
	for _, p := range ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		switch {
		case only == "":
			fmt.Fprintf(w, "%s -> %s:%d\n", key, ip, p.HostPort)
		case only == key:
			fmt.Fprintf(w, "%s:%d\n", ip, p.HostPort)
			found = true
		}
	}
	if only != "" && !found {
		return fmt.Errorf("failed to find published port %q", asked)
	}
	return nil
}
