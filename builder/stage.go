package builder

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/engine-dev/engine/storage"
)

// stageState is where a stage stands after its latest step.
type stageState struct {
	image string        // an image whose top layer is the stage's filesystem ("" for scratch)
	cfg   imgspec.Image // the config as of now
	key   string        // cache chain key
	dirty bool          // cfg has changed since image was made
	// stepKey is the chain key of the layer step that gave image (none after
	// FROM), imageCfg the config of that step. A final image made on image
	// keeps them, so that the step stays cached without image; fresh tells
	// that image was made by this build, and the final image takes its place.
	stepKey  string
	imageCfg imgspec.Image
	fresh    bool
	cmdSet   bool // CMD was given in this stage (ENTRYPOINT keeps it)
	shell    []string
	args     map[string]*string // ARGs declared in this stage; nil value: declared without one
}

// runStage builds stage i and returns its image.
func (b *build) runStage(i int, last bool) (string, error) {
	stage := b.df.stages[i]
	b.stepf("%s", strings.TrimSpace(stage.SourceCode))
	base, err := b.df.lex.ProcessWordWithMatches(stage.BaseName, shell.EnvsFromSlice(b.metaArgEnv()))
	if err != nil {
		return "", fmt.Errorf("FROM %s: %v: %w", stage.BaseName, err, ErrInvalidArg)
	}
	st, err := b.from(i, base.Result)
	if err != nil {
		return "", fmt.Errorf("building at STEP \"FROM %s\": %w", stage.BaseName, err)
	}
	for _, cmd := range stage.Commands {
		b.stepf("%s", sourceText(cmd))
		if err := b.exec(st, cmd); err != nil {
			return "", fmt.Errorf("building at STEP \"%s\": %w", sourceText(cmd), err)
		}
	}
	if last && len(b.o.Labels) > 0 {
		keys := make([]string, 0, len(b.o.Labels))
		for k := range b.o.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.config(st, "LABEL "+k+"="+b.o.Labels[k], func(c *imgspec.ImageConfig) { setLabel(c, k, b.o.Labels[k]) })
		}
	}
	return b.finish(st)
}

// sourceText is an instruction's text as written.
func sourceText(cmd instructions.Command) string {
	if s, ok := cmd.(fmt.Stringer); ok {
		return s.String()
	}
	return cmd.Name()
}

// from starts a stage on an image, an earlier stage or scratch.
func (b *build) from(i int, base string) (*stageState, error) {
	st := &stageState{shell: []string{"/bin/sh", "-c"}, args: map[string]*string{}}
	if strings.EqualFold(base, "scratch") {
		st.cfg = imgspec.Image{Platform: imgspec.Platform{OS: "linux", Architecture: runtime.GOARCH}}
		st.key = chain("", "FROM scratch")
		return st, nil
	}
	id := ""
	if j, ok := b.df.stageIndex(base); ok && j < i {
		id = b.results[j]
	} else {
		img, err := b.image(base)
		if err != nil {
			return nil, err
		}
		id = img
	}
	cfg, err := b.s.ImageSpec(id)
	if err != nil {
		return nil, err
	}
	st.image, st.cfg, st.key = id, *cfg, chain("", "FROM", id)
	return st, nil
}

// image finds or pulls an image by the build's --pull policy.
func (b *build) image(name string) (string, error) {
	if b.pull != "always" {
		img, err := b.s.LookupImage(name)
		if err == nil {
			return img.ID, nil
		}
		if !storage.IsNotFound(err) || b.pull == "never" {
			return "", err
		}
	}
	img, err := b.s.Pull(b.ctx, name, storage.PullOptions{RegistryOptions: b.o.Registry})
	if err != nil {
		return "", err
	}
	return img.ID, nil
}

// finish returns the stage's image, committing the config of trailing
// config-only steps as an image of its own (or reusing a cached one). When the
// stage's last layer step made its image in this build, the final image takes
// that image's place (and keeps its config for the step's cache key): two
// images on one top layer would leave the step's image listed as dangling.
func (b *build) finish(st *stageState) (string, error) {
	if !st.dirty && st.image != "" {
		return st.image, nil
	}
	if id, step, ok := b.cached(st.key); ok && !step {
		return id, nil
	}
	now := time.Now().UTC()
	st.cfg.Created = &now
	o := storage.NewImageOptions{Parent: st.image, Config: st.cfg, Metadata: meta{key: st.key}.String()}
	if st.stepKey != "" {
		stepCfg, err := json.Marshal(st.imageCfg)
		if err != nil {
			return "", err
		}
		o.Metadata = meta{key: st.key, step: st.stepKey}.String()
		o.BigData = map[string][]byte{stepConfigData: stepCfg}
	}
	img, err := b.s.NewImage(b.ctx, o)
	if err != nil {
		return "", err
	}
	b.cache.add(st.key, img.ID)
	if st.fresh {
		if _, err := b.s.DeleteImage(st.image, true); err == nil { // its layers stay: the new image uses them
			b.cache.forget(st.stepKey)
			b.cache.steps[st.stepKey] = img.ID
		}
	}
	return img.ID, nil
}

// cached returns the image a build made for key, unless --no-cache; step
// tells that the image only carries the key's layer (cache.lookup).
func (b *build) cached(key string) (string, bool, bool) {
	if b.o.NoCache {
		return "", false, false
	}
	id, step, ok := b.cache.lookup(key)
	if !ok {
		return "", false, false
	}
	if _, err := b.s.Image(id); err != nil {
		return "", false, false
	}
	if !step {
		fmt.Fprintf(b.out, "--> Using cache %s\n", id)
	}
	return id, step, true
}

// metaArgEnv is the ARGs before the first FROM, with --build-arg values.
func (b *build) metaArgEnv() []string {
	var env []string
	for _, a := range b.df.metaArgs {
		for _, kv := range a.Args {
			if v, ok := b.o.BuildArgs[kv.Key]; ok {
				env = append(env, kv.Key+"="+v)
			} else if kv.Value != nil {
				env = append(env, kv.Key+"="+*kv.Value)
			}
		}
	}
	return env
}

// argEnv is the stage's ARGs with values, as KEY=VALUE, sorted.
func (st *stageState) argEnv() []string {
	var env []string
	for k, v := range st.args {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	return env
}

// expandEnv is what variables in an instruction see: the stage's ARGs, then
// its ENV (ENV wins, as in docker).
func (st *stageState) expandEnv() shell.EnvGetter {
	return shell.EnvsFromSlice(append(st.argEnv(), st.cfg.Config.Env...))
}

// runEnv is the environment of a RUN: the config's ENV plus the ARGs it does not set.
func (st *stageState) runEnv() []string {
	env := append([]string(nil), st.cfg.Config.Env...)
	for _, kv := range st.argEnv() {
		k, _, _ := strings.Cut(kv, "=")
		if !hasKey(env, k) {
			env = append(env, kv)
		}
	}
	return env
}

func hasKey(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}
