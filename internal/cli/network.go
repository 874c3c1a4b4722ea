package cli

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/internal/format"
	"github.com/engine-dev/engine/netcni"
)

// networkCommands are `engine network ...`.
func networkCommands() []*cli.Command {
	return []*cli.Command{{Name: "network", Usage: "manage networks", Subcommands: []*cli.Command{
		{Name: "create", Usage: "create a network", ArgsUsage: "NAME", Action: networkCreateAction, Flags: []cli.Flag{
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
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, id=, driver=, label="},
		}},
		{Name: "inspect", Usage: "show networks in detail", ArgsUsage: "NAME...", Action: networkInspectAction, Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}},
		}},
		{Name: "rm", Aliases: []string{"remove"}, Usage: "remove networks", ArgsUsage: "NAME...", Action: networkRmAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "also remove the containers using it"},
		}},
		{Name: "prune", Usage: "remove unused networks and leftovers of killed containers", Action: networkPruneAction, Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}},
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
	name, err := oneArg(c, "network name")
	if err != nil {
		return err
	}
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

// networkRow is one line of `network ls`, with podman's template names.
type networkRow struct {
	ID, Name, Driver, Created, Subnets, NetworkInterface string
	Labels                                               map[string]string
	Internal                                             bool
}

func networkLsAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		all, err := r.Networks().List()
		if err != nil {
			return err
		}
		keep, err := networkFilter(c.StringSlice("filter"))
		if err != nil {
			return err
		}
		var nets []*netcni.Network
		for _, n := range all {
			if keep(n) {
				nets = append(nets, n)
			}
		}
		if c.String("format") == "json" {
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
			row := networkRow{ID: trunc(n.ID, c.Bool("no-trunc")), Name: n.Name, Driver: n.Driver, Created: n.Created.String(),
				NetworkInterface: n.NetworkInterface, Labels: n.Labels, Internal: n.Internal}
			var subs []string
			for _, s := range n.Subnets {
				subs = append(subs, s.Subnet)
			}
			row.Subnets = strings.Join(subs, ",")
			rows = append(rows, row)
		}
		tmpl := "table {{.ID}}\t{{.Name}}\t{{.Driver}}"
		if f := c.String("format"); f != "" {
			tmpl = f
		}
		return format.Rows(c.App.Writer, tmpl, rows, map[string]string{"ID": "NETWORK ID"}, c.Bool("noheading"))
	})
}

// networkFilter builds ls's --filter: values of one key are alternatives, keys all apply.
func networkFilter(filters []string) (func(*netcni.Network) bool, error) {
	byKey := map[string][]func(*netcni.Network) bool{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE", f)
		}
		var p func(*netcni.Network) bool
		switch k {
		case "name":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %v", f, err)
			}
			p = func(n *netcni.Network) bool { return re.MatchString(n.Name) }
		case "id":
			p = func(n *netcni.Network) bool { return strings.HasPrefix(n.ID, v) }
		case "driver":
			p = func(n *netcni.Network) bool { return n.Driver == v }
		case "label":
			lk, lv, hasV := strings.Cut(v, "=")
			p = func(n *netcni.Network) bool { got, ok := n.Labels[lk]; return ok && (!hasV || got == lv) }
			k = f
		default:
			return nil, fmt.Errorf("invalid filter %q: unknown key %q (want name, id, driver or label)", f, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	return func(n *netcni.Network) bool {
		for _, alts := range byKey {
			ok := false
			for _, p := range alts {
				ok = ok || p(n)
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
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
		return printInspect(c, out, errs)
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
		removed, err := r.PruneNetworks()
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
		return fmt.Errorf("failed to find published port %q", only)
	}
	return nil
}
