package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// networkFlags are create/run's network flags (issue #5).
func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "network", Aliases: []string{"net"}, Usage: "bridge, none, host, container:NAME, slirp4netns or a network name (repeatable)"},
		&cli.StringSliceFlag{Name: "network-alias", Usage: "another name of the container on its network"},
		&cli.StringFlag{Name: "ip", Usage: "static IPv4 address on the network"},
		&cli.StringFlag{Name: "mac-address", Usage: "static MAC address"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "[ip:][hostPort:]containerPort[/tcp|udp]"},
		&cli.BoolFlag{Name: "publish-all", Aliases: []string{"P"}, Usage: "publish the image's exposed ports to random host ports"},
		&cli.StringSliceFlag{Name: "dns", Usage: "DNS server"},
		&cli.StringSliceFlag{Name: "dns-search", Usage: "DNS search domain"},
		&cli.StringSliceFlag{Name: "dns-option", Aliases: []string{"dns-opt"}, Usage: "resolv.conf option"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "HOST:IP line for /etc/hosts"},
	}
}

func networkOptions(c *cli.Context) (engine.NetOptions, error) {
	return engine.NetOptions{
		Networks: c.StringSlice("network"), Aliases: c.StringSlice("network-alias"),
		IP: c.String("ip"), MAC: c.String("mac-address"),
		Publish: c.StringSlice("publish"), PublishAll: c.Bool("publish-all"),
		DNS: c.StringSlice("dns"), DNSSearch: c.StringSlice("dns-search"), DNSOptions: c.StringSlice("dns-option"),
		AddHosts: c.StringSlice("add-host"),
	}, nil
}
