package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
	cfilters "go.podman.io/common/pkg/filters"
	"golang.org/x/term"

	"github.com/engine-dev/engine/engine"
)

func containerCommands() []*cli.Command {
	run := &cli.Command{Name: "run", Usage: "run a command in a new container", ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		Flags: append(createFlags(),
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background and print the id"},
			&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "forward signals to the container"},
		), Action: runAction, SkipFlagParsing: false}
	create := &cli.Command{Name: "create", Usage: "create a container", ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		Flags: createFlags(), Action: createAction}
	start := &cli.Command{Name: "start", Usage: "start containers", ArgsUsage: "CONTAINER...", Action: startAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "attach", Aliases: []string{"a"}}, &cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}},
		&cli.StringFlag{Name: "detach-keys", Value: "ctrl-p,ctrl-q"}, &cli.BoolFlag{Name: "sig-proxy", Value: true},
	}}
	stop := &cli.Command{Name: "stop", Usage: "stop containers", ArgsUsage: "CONTAINER...", Action: stopAction, Flags: append([]cli.Flag{
		&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: -1, Usage: "seconds to wait before SIGKILL"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}},
	}, cidfileFlags(true)...)}
	restart := &cli.Command{Name: "restart", Usage: "restart containers", ArgsUsage: "CONTAINER...", Action: restartAction, Flags: []cli.Flag{
		&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: -1},
	}}
	kill := &cli.Command{Name: "kill", Usage: "signal containers", ArgsUsage: "CONTAINER...", Action: killAction, Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL"},
	}, cidfileFlags(false)...)}
	rm := &cli.Command{Name: "rm", Usage: "remove containers", ArgsUsage: "CONTAINER...", Action: rmAction, Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}}, &cli.BoolFlag{Name: "all", Aliases: []string{"a"}},
		&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}},
		&cli.UintFlag{Name: "time", Aliases: []string{"t"}, Usage: "with -f, seconds to wait for a running container to stop before it is killed (default: kill at once)"},
	}, cidfileFlags(true)...)}
	wait := &cli.Command{Name: "wait", Usage: "wait for containers to exit and print their codes", ArgsUsage: "CONTAINER...", Action: waitAction,
		Flags: waitFlags()}
	logs := &cli.Command{Name: "logs", Usage: "print a container's output", ArgsUsage: "CONTAINER...", Action: logsAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}}, &cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}},
		&cli.StringFlag{Name: "tail", Value: "all"}, &cli.StringFlag{Name: "since"}, &cli.StringFlag{Name: "until"},
		&cli.BoolFlag{Name: "names", Aliases: []string{"n"}, Usage: "start each line with the container's name"},
	}}
	exec := &cli.Command{Name: "exec", Usage: "run a command in a running container", ArgsUsage: "CONTAINER COMMAND [ARG...]", Action: execAction, Flags: []cli.Flag{
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}}, &cli.BoolFlag{Name: "tty", Aliases: []string{"t"}},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}}, &cli.GenericFlag{Name: "env", Aliases: []string{"e"}, Value: &rawList{}},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}}, &cli.StringFlag{Name: "workdir", Aliases: []string{"w"}},
	}}
	attach := &cli.Command{Name: "attach", Usage: "attach to a running container", ArgsUsage: "CONTAINER", Action: attachAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "detach-keys", Value: "ctrl-p,ctrl-q"}, &cli.BoolFlag{Name: "no-stdin"}, &cli.BoolFlag{Name: "sig-proxy", Value: true},
	}}
	pause := &cli.Command{Name: "pause", Usage: "freeze containers", ArgsUsage: "CONTAINER...", Action: eachCtr(func(c *engine.Container) error { return c.Pause() })}
	unpause := &cli.Command{Name: "unpause", Usage: "thaw containers", ArgsUsage: "CONTAINER...", Action: eachCtr(func(c *engine.Container) error { return c.Unpause() })}
	ps := &cli.Command{Name: "ps", Usage: "list containers", Action: psAction, Flags: psFlags()}
	inspect := &cli.Command{Name: "inspect", Usage: "show details of containers or images", ArgsUsage: "NAME...", Action: inspectAction, Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}}, &cli.StringFlag{Name: "type", Value: "all"},
	}}
	ctrInspect := *inspect
	ctrInspect.Action = func(c *cli.Context) error { return inspectAs(c, "container") }
	ls := *ps
	ls.Name, ls.Aliases = "ls", []string{"list"}
	more := containerMoreCommands()
	group := &cli.Command{Name: "container", Usage: "manage containers", Subcommands: append([]*cli.Command{
		run, create, start, stop, restart, kill, rm, wait, logs, exec, attach, pause, unpause, &ls, &ctrInspect,
		containerPruneCommand(), containerExistsCommand(),
	}, more...)}
	return append([]*cli.Command{group, run, create, start, stop, restart, kill, rm, wait, logs, exec, attach, pause, unpause, ps, inspect}, more...)
}

// eachCtr runs fn on every named container, printing each name that succeeded, and
// returns the errors (podman's behaviour for stop, kill, rm, pause ...).
func eachCtr(fn func(*engine.Container) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		names, err := ctrArgs(c, fmt.Sprintf("%s requires at least one container", c.Command.Name))
		if err != nil || len(names) == 0 {
			return err
		}
		return withRuntime(c, func(r *engine.Runtime) error {
			ctrs, names, err := lookupAll(r, names, c.Bool("ignore"))
			if err != nil {
				return err
			}
			var errs []error
			for i, ctr := range ctrs {
				err := fn(ctr)
				if ignoredCtrErr(c, err) {
					continue
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.App.Writer, names[i])
			}
			return errors.Join(errs...)
		})
	}
}

func startAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("start requires at least one container")
	}
	if c.Bool("attach") && c.NArg() > 1 {
		return fmt.Errorf("start --attach takes one container")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		if c.Bool("attach") {
			ctr, err := r.Lookup(c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("interactive") {
				ctr.Config.Interactive = true
			}
			if err := ctr.Start(engine.StartOptions{Attach: true}); err != nil {
				return startErr(err)
			}
			keys, err := engine.ParseDetachKeys(c.String("detach-keys"))
			if err != nil {
				return err
			}
			code, err := attachAndWait(c, ctr, keys, ctr.Exec)
			if errors.Is(err, engine.ErrDetached) {
				return nil
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return withCode(code, errSilent)
			}
			return nil
		}
		ctrs, names, err := lookupAll(r, c.Args().Slice(), false)
		if err != nil {
			return err
		}
		var errs []error
		for i, ctr := range ctrs {
			if err := ctr.Start(engine.StartOptions{}); err != nil {
				errs = append(errs, startErr(err))
				continue
			}
			fmt.Fprintln(c.App.Writer, names[i])
		}
		if len(errs) == 1 {
			return errs[0]
		}
		return errors.Join(errs...)
	})
}

func stopTimeout(c *cli.Context) (*uint, error) {
	if !c.IsSet("time") {
		return nil, nil
	}
	t := c.Int("time")
	if t < 0 {
		return nil, fmt.Errorf("invalid --time %d: must not be negative", t)
	}
	u := uint(t)
	return &u, nil
}

func stopAction(c *cli.Context) error {
	t, err := stopTimeout(c)
	if err != nil {
		return err
	}
	if c.Bool("all") {
		return withRuntime(c, func(r *engine.Runtime) error {
			ctrs, err := r.List()
			if err != nil {
				return err
			}
			var errs []error
			for _, ctr := range ctrs {
				if err := ctr.Stop(t); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.App.Writer, ctr.ID)
			}
			return errors.Join(errs...)
		})
	}
	return eachCtr(func(ctr *engine.Container) error { return ctr.Stop(t) })(c)
}

func restartAction(c *cli.Context) error {
	t, err := stopTimeout(c)
	if err != nil {
		return err
	}
	return eachCtr(func(ctr *engine.Container) error {
		if err := ctr.Stop(t); err != nil {
			return err
		}
		ctr.WaitRemoved()
		return startErr(ctr.Start(engine.StartOptions{}))
	})(c)
}

func killAction(c *cli.Context) error {
	sig, err := engine.ParseSignal(c.String("signal"))
	if err != nil {
		return err
	}
	return eachCtr(func(ctr *engine.Container) error { return ctr.Kill(sig) })(c)
}

func rmAction(c *cli.Context) error {
	force := c.Bool("force")
	remove := func(ctr *engine.Container) error {
		if force && c.IsSet("time") && c.Uint("time") > 0 {
			t := c.Uint("time")
			if err := ctr.Stop(&t); err != nil && !errors.Is(err, engine.ErrCtrStateInvalid) {
				return err
			}
		}
		return ctr.RemoveWith(force, c.Bool("volumes"))
	}
	if c.Bool("all") {
		return withRuntime(c, func(r *engine.Runtime) error {
			ctrs, err := r.List()
			if err != nil {
				return err
			}
			var errs []error
			for _, ctr := range ctrs {
				if err := remove(ctr); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.App.Writer, ctr.ID)
			}
			return rmErr(errs)
		})
	}
	names, err := ctrArgs(c, "rm requires at least one container or --all")
	if err != nil || len(names) == 0 {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctrs, names, err := lookupAll(r, names, force || c.Bool("ignore"))
		if err != nil {
			return rmErr([]error{err})
		}
		var errs []error
		for i, ctr := range ctrs {
			err := remove(ctr)
			switch {
			case err == nil:
				fmt.Fprintln(c.App.Writer, names[i]) // podman prints the name as given
			case (force || c.Bool("ignore")) && errors.Is(err, engine.ErrNoSuchContainer):
				// rm -f (or --ignore) of a container that is gone is not an error, as podman.
			default:
				errs = append(errs, err)
			}
		}
		return rmErr(errs)
	})
}

func logsAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("specify at least one container name or ID to log")
	}
	o := engine.LogOptions{Follow: c.Bool("follow"), Timestamps: c.Bool("timestamps"), Tail: -1}
	if t := c.String("tail"); t != "all" && t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return fmt.Errorf("invalid --tail %q: want a number or all", t)
		}
		if n >= 0 {
			o.Tail = n
		}
	}
	for _, f := range []struct {
		flag string
		dst  *time.Time
	}{{"since", &o.Since}, {"until", &o.Until}} {
		if v := c.String(f.flag); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return fmt.Errorf("invalid --%s %q: %w", f.flag, v, err)
			}
			*f.dst = t
		}
	}
	return withRuntime(c, func(r *engine.Runtime) error { return logsOf(c, r, o) })
}

// parseTime reads --since/--until as podman: a duration ago ("10m"), a Unix
// timestamp, an RFC 3339 time or a part of one ("2006-01-02", "2006-01-02T15:04:05").
func parseTime(v string) (time.Time, error) {
	return cfilters.ComputeUntilTimestamp([]string{v})
}

func execAction(c *cli.Context) error {
	if c.NArg() < 2 {
		return fmt.Errorf("exec requires a container and a command")
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(c.Args().First())
		if err != nil {
			return err
		}
		o := engine.ExecOptions{Cmd: c.Args().Tail(), Env: rawValues(c, "env"), User: c.String("user"),
			WorkDir: c.String("workdir"), TTY: c.Bool("tty"), Detach: c.Bool("detach"),
			Stdout: os.Stdout, Stderr: os.Stderr}
		if c.Bool("interactive") {
			o.Stdin = os.Stdin
		}
		done := make(chan struct{})
		if o.TTY {
			o.Console = func(master *os.File) {
				inFd := int(os.Stdin.Fd())
				if term.IsTerminal(inFd) {
					if old, err := term.MakeRaw(inFd); err == nil {
						defer func() { <-done; term.Restore(inFd, old) }()
					}
				}
				if c.Bool("interactive") {
					go io.Copy(master, os.Stdin)
				}
				go func() { io.Copy(os.Stdout, master); close(done) }()
			}
		}
		code, err := ctr.ExecProcess(o)
		if err != nil {
			if code == 125 {
				// podman's ExecErrorCodeGeneric: an exec that failed before its command
				// ran (container not running, unknown user) exits 255, which scripts
				// (pacemaker's podman agent) read as "not running".
				code = exitExecGeneric
			}
			return withCode(code, err)
		}
		if o.TTY {
			select {
			case <-done:
			case <-time.After(time.Second):
			}
		}
		if code != 0 {
			return withCode(code, errSilent)
		}
		return nil
	})
}

func attachAction(c *cli.Context) error {
	name, err := oneArg(c, "container")
	if err != nil {
		return err
	}
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := r.Lookup(name)
		if err != nil {
			return err
		}
		st, err := ctr.State()
		if err != nil {
			return err
		}
		if st.Status != engine.StatusRunning {
			return fmt.Errorf("you can only attach to running containers: %s is %s: %w", name, st.Status, engine.ErrCtrStateInvalid)
		}
		if c.Bool("no-stdin") {
			ctr.Config.Interactive = false
		}
		keys, err := engine.ParseDetachKeys(c.String("detach-keys"))
		if err != nil {
			return err
		}
		code, err := attachAndWait(c, ctr, keys, nil)
		if errors.Is(err, engine.ErrDetached) {
			return nil
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return withCode(code, errSilent)
		}
		return nil
	})
}
