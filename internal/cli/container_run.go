package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

func createFlags() []cli.Flag {
	return concatFlags([]cli.Flag{
		&cli.StringFlag{Name: "name", Usage: "container name"},
		// -e and --label values are kept whole, commas included, as podman does.
		&cli.GenericFlag{Name: "env", Aliases: []string{"e"}, Value: &rawList{}, Usage: "KEY=VALUE, or KEY to copy it from this environment"},
		&cli.StringSliceFlag{Name: "env-file", Usage: "read KEY=VALUE lines"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user[:group], names resolved in the image"},
		&cli.StringFlag{Name: "entrypoint"},
		&cli.StringFlag{Name: "hostname", Aliases: []string{"h"}},
		&cli.StringFlag{Name: "cidfile", Usage: "write the container id to this file"},
		&cli.BoolFlag{Name: "init", Usage: "run a minimal init as pid 1"},
		&cli.GenericFlag{Name: "label", Aliases: []string{"l"}, Value: &rawList{}},
		&cli.StringFlag{Name: "restart", Value: "no", Usage: "no, always, on-failure[:N], unless-stopped"},
		&cli.StringFlag{Name: "stop-signal"},
		&cli.IntFlag{Name: "stop-timeout", Value: -1},
		&cli.StringSliceFlag{Name: "log-opt", Usage: "max-size=, max-file="},
		&cli.StringFlag{Name: "log-driver", Value: "json-file"},
		&cli.StringFlag{Name: "pull", Value: "missing", Usage: "missing, always, never"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep stdin open"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
		&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
		&cli.StringFlag{Name: "detach-keys", Value: "ctrl-p,ctrl-q"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no pull progress"},
	}, registryFlags(), mountFlags(), resourceFlags(), securityFlags(), networkFlags(), systemdFlags())
}

// concatFlags joins flag lists.
func concatFlags(first []cli.Flag, more ...[]cli.Flag) []cli.Flag {
	for _, m := range more {
		first = append(first, m...)
	}
	return first
}

func createOptions(c *cli.Context) (engine.CreateOptions, error) {
	o := engine.CreateOptions{
		Image: c.Args().First(), Cmd: c.Args().Tail(), Name: c.String("name"),
		Env: rawValues(c, "env"), EnvFiles: c.StringSlice("env-file"), WorkDir: c.String("workdir"),
		User: c.String("user"), Hostname: c.String("hostname"), TTY: c.Bool("tty"),
		Interactive: c.Bool("interactive"), Remove: c.Bool("rm"), Init: c.Bool("init"),
		Restart: c.String("restart"), StopSignal: c.String("stop-signal"), LogOpts: c.StringSlice("log-opt"),
		Pull:        c.String("pull"),
		PullOptions: storage.PullOptions{RegistryOptions: registryOptions(c)},
	}
	systemdOptions(c, &o)
	var err error
	if o.Mounts, err = mountOptions(c); err != nil {
		return o, err
	}
	if o.Resources, err = resourceOptions(c); err != nil {
		return o, err
	}
	if o.Security, err = securityOptions(c); err != nil {
		return o, err
	}
	if o.Net, err = networkOptions(c); err != nil {
		return o, err
	}
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}
	if c.IsSet("stop-timeout") {
		t := c.Int("stop-timeout")
		if t < 0 {
			return o, fmt.Errorf("invalid --stop-timeout %d: must not be negative", t)
		}
		u := uint(t)
		o.StopTimeout = &u
	}
	if d := c.String("log-driver"); d != "json-file" && d != "k8s-file" {
		return o, fmt.Errorf("unsupported --log-driver %q: only json-file", d)
	}
	if len(rawValues(c, "label")) > 0 {
		o.Labels = map[string]string{}
		for _, l := range rawValues(c, "label") {
			k, v, _ := splitKV(l)
			o.Labels[k] = v
		}
	}
	if !c.Bool("quiet") {
		o.PullOutput = progressWriter(c)
	}
	return o, nil
}

func splitKV(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func createContainer(c *cli.Context, r *engine.Runtime) (*engine.Container, error) {
	if c.NArg() < 1 {
		return nil, fmt.Errorf("%s requires an image", c.Command.Name)
	}
	o, err := createOptions(c)
	if err != nil {
		return nil, err
	}
	if f := c.String("cidfile"); f != "" {
		// Before anything is pulled or created, with podman's words.
		if _, err := os.Lstat(f); err == nil {
			return nil, fmt.Errorf("container id file exists. Ensure another container is not using it or delete %s", f)
		}
	}
	ctr, err := r.Create(c.Context, o)
	if err != nil {
		return nil, err
	}
	if f := c.String("cidfile"); f != "" {
		if err := writeNew(f, ctr.ID); err != nil {
			_ = ctr.Remove(true)
			return nil, err
		}
	}
	return ctr, nil
}

// writeNew writes a file that must not exist yet (--cidfile, as docker).
func writeNew(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing cidfile: %w", err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func createAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := createContainer(c, r)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, ctr.ID)
		return nil
	})
}

func runAction(c *cli.Context) error {
	return withRuntime(c, func(r *engine.Runtime) error {
		ctr, err := createContainer(c, r)
		if err != nil {
			return err
		}
		if c.Bool("detach") {
			if err := ctr.Start(engine.StartOptions{}); err != nil {
				_ = ctr.Remove(true) // run leaves nothing behind when it fails
				return startErr(err)
			}
			fmt.Fprintln(c.App.Writer, ctr.ID)
			return nil
		}
		return runForeground(c, ctr)
	})
}

// runForeground starts the container stopped, attaches, lets it run, and exits with
// its code.
func runForeground(c *cli.Context, ctr *engine.Container) error {
	if err := ctr.Start(engine.StartOptions{Attach: true}); err != nil {
		_ = ctr.Remove(true) // run leaves nothing behind when it fails
		return startErr(err)
	}
	keys, err := engine.ParseDetachKeys(c.String("detach-keys"))
	if err != nil {
		return err
	}
	if !ctr.Config.TTY {
		keys = nil
	}
	code, err := attachAndWait(c, ctr, keys, ctr.Exec)
	if errors.Is(err, engine.ErrDetached) {
		return nil
	}
	if err != nil {
		return err
	}
	if ctr.Config.Remove {
		ctr.WaitRemoved()
	}
	if code != 0 {
		return withCode(code, errSilent)
	}
	return nil
}

// attachAndWait proxies the terminal, stdin and signals to a container and returns its
// exit code once it ended. connected runs once the attach socket is up.
func attachAndWait(c *cli.Context, ctr *engine.Container, keys []byte, connected func() error) (int, error) {
	o := engine.AttachOptions{Stdout: c.App.Writer, Stderr: os.Stderr, DetachKeys: keys}
	if ctr.Config.Interactive {
		o.Stdin = os.Stdin
	}
	inFd := int(os.Stdin.Fd())
	if ctr.Config.TTY && term.IsTerminal(inFd) {
		old, err := term.MakeRaw(inFd)
		if err == nil {
			defer term.Restore(inFd, old)
		}
		resize := make(chan [2]uint16, 1)
		o.Resize = resize
		sendSize := func() {
			if w, h, err := term.GetSize(inFd); err == nil {
				select {
				case resize <- [2]uint16{uint16(h), uint16(w)}:
				default:
				}
			}
		}
		sendSize()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				sendSize()
			}
		}()
	}
	if c.Bool("sig-proxy") || !c.IsSet("sig-proxy") {
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
		defer signal.Stop(sigs)
		go func() {
			for s := range sigs {
				_ = ctr.Kill(s.(syscall.Signal))
			}
		}()
	}
	if connected != nil {
		// This process started the container, so it also cleans up after it
		// (with the store open already) instead of the monitor's helper.
		o.OnExit = func(code int) { _ = ctr.CleanupAfterExit(code) }
	}
	var startErr error
	o.Connected = func() {
		if connected != nil {
			startErr = connected()
		}
	}
	code, err := ctr.Attach(o)
	if startErr != nil {
		return 125, startErr
	}
	if err != nil {
		return 125, err
	}
	if code >= 0 {
		return code, nil // from the monitor: the container may be gone already (--rm)
	}
	code, err = ctr.Wait()
	if err != nil {
		return 125, err
	}
	return code, nil
}
