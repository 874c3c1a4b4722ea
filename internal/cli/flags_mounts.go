package cli

import (
	"encoding/json"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/engine-dev/engine/engine"
)

// mountFlags are create/run's mount flags (issue #4).
func mountFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "volume", Aliases: []string{"v"}, Value: &rawList{}, Usage: "SRC:DST[:ro|rw,U,z,...] (SRC a host path or volume name), or DST for an anonymous volume"},
		&cli.GenericFlag{Name: "mount", Value: &rawList{}, Usage: "type=bind|volume|tmpfs,src=...,dst=...[,ro][,bind-propagation=...][,tmpfs-size=...][,tmpfs-mode=...]"},
		&cli.GenericFlag{Name: "tmpfs", Value: &rawList{}, Usage: "DST[:size=64m,mode=1777,...]"},
		&cli.GenericFlag{Name: "volumes-from", Value: &rawList{}, Usage: "CONTAINER[:ro|rw]: mount another container's volumes"},
		&cli.BoolFlag{Name: "read-only", Usage: "mount the root filesystem read-only"},
		&cli.BoolFlag{Name: "read-only-tmpfs", Value: true, Usage: "with --read-only, writable tmpfs at /tmp, /var/tmp and /run"},
		&cli.StringFlag{Name: "image-volume", Value: "bind", Usage: "the image's VOLUMEs become: bind (anonymous volumes), tmpfs or ignore"},
	}
}

func mountOptions(c *cli.Context) (engine.MountOptions, error) {
	o := engine.MountOptions{
		Volumes: rawValues(c, "volume"), Mounts: rawValues(c, "mount"), Tmpfs: rawValues(c, "tmpfs"),
		VolumesFrom: rawValues(c, "volumes-from"), ReadOnly: c.Bool("read-only"),
		ImageVolume: c.String("image-volume"),
	}
	if c.IsSet("read-only-tmpfs") {
		t := c.Bool("read-only-tmpfs")
		o.ReadOnlyTmpfs = &t
	}
	return o, nil
}

// rawList is a repeatable string flag whose values are kept whole: a StringSliceFlag
// would split "type=bind,src=/a,dst=/b" at its commas.
type rawList []string

// rawListPrefix marks the serialized form urfave/cli passes between a flag's
// aliases (-v and --volume): that Set replaces the list instead of appending to it.
const rawListPrefix = "\x00rawList\x00"

// Set appends v, or takes over a whole serialized list.
func (l *rawList) Set(v string) error {
	if rest, ok := strings.CutPrefix(v, rawListPrefix); ok {
		*l = nil
		return json.Unmarshal([]byte(rest), l)
	}
	*l = append(*l, v)
	return nil
}

func (l *rawList) String() string { return strings.Join(*l, " ") }

// Serialize is what urfave/cli copies to the flag's other names.
func (l *rawList) Serialize() string {
	b, _ := json.Marshal([]string(*l))
	return rawListPrefix + string(b)
}

// rawValues returns the values of a rawList flag.
func rawValues(c *cli.Context, name string) []string {
	if l, ok := c.Generic(name).(*rawList); ok && l != nil {
		return *l
	}
	return nil
}
