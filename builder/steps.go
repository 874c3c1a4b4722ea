package builder

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

// exec runs one instruction of a stage.
func (b *build) exec(st *stageState, cmd instructions.Command) error {
	// RUN's Expand expands its --mount flags only: the shell expands its command.
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(b.expander(st)); err != nil {
			return fmt.Errorf("%v: %w", err, ErrInvalidArg)
		}
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		return b.run(st, c)
	case *instructions.CopyCommand:
		return b.copy(st, c.SourcesAndDest, copyFlags{from: c.From, chown: c.Chown, chmod: c.Chmod, parents: c.Parents, exclude: c.ExcludePatterns, code: "COPY"})
	case *instructions.AddCommand:
		return b.copy(st, c.SourcesAndDest, copyFlags{chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns, checksum: c.Checksum, unpack: true, code: "ADD"})
	case *instructions.ArgCommand:
		b.arg(st, c)
		return nil
	case *instructions.ShellCommand:
		st.shell = append([]string(nil), c.Shell...)
		st.key = chain(st.key, "SHELL", strings.Join(c.Shell, "\x00"))
		return nil
	case *instructions.OnbuildCommand, *instructions.HealthCheckCommand:
		fmt.Fprintf(b.out, "WARN: %s is not supported in the OCI image format; ignored\n", strings.ToUpper(cmd.Name()))
		return nil
	}
	return b.configStep(st, cmd)
}

// expander expands $VARS in an instruction's words with the stage's ARGs and ENV.
func (b *build) expander(st *stageState) instructions.SingleWordExpander {
	env := st.expandEnv()
	return func(word string) (string, error) {
		r, _, err := b.df.lex.ProcessWord(word, env)
		return r, err
	}
}

// configStep applies a config-only instruction.
func (b *build) configStep(st *stageState, cmd instructions.Command) error {
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		b.config(st, "ENV "+pairs(c.Env), func(ic *imgspec.ImageConfig) {
			for _, kv := range c.Env {
				ic.Env = setEnv(ic.Env, kv.Key+"="+kv.Value)
			}
		})
	case *instructions.LabelCommand:
		b.config(st, "LABEL "+pairs(c.Labels), func(ic *imgspec.ImageConfig) {
			for _, kv := range c.Labels {
				setLabel(ic, kv.Key, kv.Value)
			}
		})
	case *instructions.WorkdirCommand:
		dir := c.Path
		if !path.IsAbs(dir) {
			dir = path.Join(workdir(st), dir)
		}
		b.config(st, "WORKDIR "+dir, func(ic *imgspec.ImageConfig) { ic.WorkingDir = path.Clean(dir) })
	case *instructions.UserCommand:
		b.config(st, "USER "+c.User, func(ic *imgspec.ImageConfig) { ic.User = c.User })
	case *instructions.ExposeCommand:
		b.config(st, "EXPOSE "+strings.Join(c.Ports, " "), func(ic *imgspec.ImageConfig) { expose(ic, c.Ports) })
	case *instructions.VolumeCommand:
		b.config(st, "VOLUME "+strings.Join(c.Volumes, " "), func(ic *imgspec.ImageConfig) { volumes(ic, c.Volumes) })
	case *instructions.StopSignalCommand:
		b.config(st, "STOPSIGNAL "+c.Signal, func(ic *imgspec.ImageConfig) { ic.StopSignal = c.Signal })
	case *instructions.CmdCommand:
		args := st.command(c.ShellDependantCmdLine)
		st.cmdSet = true
		b.config(st, "CMD "+jsonList(args), func(ic *imgspec.ImageConfig) { ic.Cmd = args })
	case *instructions.EntrypointCommand:
		args := st.command(c.ShellDependantCmdLine)
		b.config(st, "ENTRYPOINT "+jsonList(args), func(ic *imgspec.ImageConfig) {
			ic.Entrypoint = args
			if !st.cmdSet {
				ic.Cmd = nil // an inherited CMD does not survive a new ENTRYPOINT (docker)
			}
		})
	case *instructions.MaintainerCommand:
		b.config(st, "MAINTAINER "+c.Maintainer, nil)
		st.cfg.Author = c.Maintainer
	default:
		return fmt.Errorf("%s is not supported: %w", strings.ToUpper(cmd.Name()), ErrInvalidArg)
	}
	return nil
}

// config records a config-only change: a history entry with no layer and a
// new chain key; the image is made when the stage ends or the next layer is.
func (b *build) config(st *stageState, text string, apply func(*imgspec.ImageConfig)) {
	if apply != nil {
		apply(&st.cfg.Config)
	}
	now := time.Now().UTC()
	st.cfg.History = append(st.cfg.History, imgspec.History{Created: &now, CreatedBy: "/bin/sh -c #(nop) " + text, EmptyLayer: true})
	st.key = chain(st.key, text)
	st.dirty = true
}

// arg declares a build argument of the stage: --build-arg wins over the
// default, and an ARG without a default takes the value of a global ARG.
func (b *build) arg(st *stageState, c *instructions.ArgCommand) {
	meta := map[string]string{}
	for _, kv := range b.metaArgEnv() {
		k, v, _ := strings.Cut(kv, "=")
		meta[k] = v
	}
	for _, kv := range c.Args {
		var val *string
		if v, ok := b.o.BuildArgs[kv.Key]; ok {
			val = &v
		} else if kv.Value != nil {
			v := *kv.Value
			val = &v
		} else if v, ok := meta[kv.Key]; ok {
			val = &v
		}
		st.args[kv.Key] = val
		shown := "<unset>"
		if val != nil {
			shown = *val
		}
		st.key = chain(st.key, "ARG", kv.Key, shown)
	}
}

// command turns a CMD/ENTRYPOINT/RUN command line into argv.
func (st *stageState) command(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(append([]string(nil), st.shell...), strings.Join(c.CmdLine, " "))
	}
	return append([]string(nil), c.CmdLine...)
}

func workdir(st *stageState) string {
	if st.cfg.Config.WorkingDir == "" {
		return "/"
	}
	return st.cfg.Config.WorkingDir
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	out := append([]string(nil), env...)
	for i, e := range out {
		if strings.HasPrefix(e, k+"=") {
			out[i] = kv
			return out
		}
	}
	return append(out, kv)
}

func setLabel(ic *imgspec.ImageConfig, k, v string) {
	labels := map[string]string{}
	for lk, lv := range ic.Labels {
		labels[lk] = lv
	}
	labels[k] = v
	ic.Labels = labels
}

func expose(ic *imgspec.ImageConfig, ports []string) {
	out := map[string]struct{}{}
	for p := range ic.ExposedPorts {
		out[p] = struct{}{}
	}
	for _, p := range ports {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		out[p] = struct{}{}
	}
	ic.ExposedPorts = out
}

func volumes(ic *imgspec.ImageConfig, vols []string) {
	out := map[string]struct{}{}
	for v := range ic.Volumes {
		out[v] = struct{}{}
	}
	for _, v := range vols {
		out[v] = struct{}{}
	}
	ic.Volumes = out
}

// pairs is KEY=VALUE pairs as history shows them.
func pairs(kvs instructions.KeyValuePairs) string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(out, " ")
}

func jsonList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ",") + "]"
}
