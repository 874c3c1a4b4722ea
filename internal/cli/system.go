package cli

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func systemCommands() []*cli.Command {
	return []*cli.Command{{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "Version:    %s\nGo Version: %s\nOS/Arch:    %s/%s\n",
				Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}}
}
