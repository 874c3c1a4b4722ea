package cli

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// networkFlags are create/run's network flags (issue #5).
func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "network", Aliases: []string{"net"}, Value: &rawList{},
			Usage: "bridge, none, host, container:NAME, slirp4netns or NAME[:ip=IP,mac=MAC,alias=A,interface_name=IF] (repeatable; NAME1,NAME2 for several)"},
		&cli.StringSliceFlag{Name: "network-alias", Usage: "another name of the container on its network"},
		&cli.StringFlag{Name: "ip", Usage: "static IPv4 address on the network"},
		&cli.StringFlag{Name: "mac-address", Usage: "static MAC address"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "[ip:][hostPort:]containerPort[/tcp|udp]"},
		&cli.BoolFlag{Name: "publish-all", Aliases: []string{"P"}, Usage: "publish the exposed ports (image and --expose) to random host ports"},
		&cli.StringSliceFlag{Name: "expose", Usage: "expose a port or range, PORT[-PORT][/PROTO] (published by -P)"},
		&cli.StringSliceFlag{Name: "dns", Usage: "DNS server"},
		&cli.StringSliceFlag{Name: "dns-search", Usage: "DNS search domain"},
		&cli.StringSliceFlag{Name: "dns-option", Aliases: []string{"dns-opt"}, Usage: "resolv.conf option"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "HOST:IP line for /etc/hosts"},
	}
}

func networkOptions(c *cli.Context) (engine.NetOptions, error) {
	return engine.NetOptions{
		Networks: networkValues(rawValues(c, "network")), Aliases: c.StringSlice("network-alias"),
		IP: c.String("ip"), MAC: c.String("mac-address"),
		Publish: c.StringSlice("publish"), PublishAll: c.Bool("publish-all"), Expose: c.StringSlice("expose"),
		DNS: c.StringSlice("dns"), DNSSearch: c.StringSlice("dns-search"), DNSOptions: c.StringSlice("dns-option"),
		AddHosts: c.StringSlice("add-host"),
	}, nil
}

// networkValues splits --network values as podman does: "a,b" is two networks, but
// the commas of per-network options (NAME:ip=IP,alias=A) stay with their network.
func networkValues(raw []string) []string {
	var out []string
	for _, v := range raw {
		if strings.Contains(v, ":") {
			out = append(out, v)
			continue
		}
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}
