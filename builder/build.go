package builder

import (
	"context"
	"fmt"
	"io"

	"github.com/engine-dev/engine/engine"
	"github.com/engine-dev/engine/storage"
)

// build is one run of Build.
type build struct {
	ctx     context.Context
	r       *engine.Runtime
	s       *storage.Store
	o       Options
	out     io.Writer // step lines and RUN's stdout; io.Discard with Quiet
	errOut  io.Writer // RUN's stderr
	df      *dockerfile
	context *source
	cache   *cache
	pull    string
	results map[int]string // stage index -> its image
	step    int
	steps   int
	// staleChecked: removeStaleContainers has run.
	staleChecked bool
}

// Build runs the Dockerfile of o.ContextDir and returns the id of the final
// image, tagged with o.Tags.
func Build(ctx context.Context, r *engine.Runtime, o Options) (string, error) {
	b, err := prepare(ctx, r, o)
	if err != nil {
		return "", err
	}
	names, err := normalizeTags(o.Tags)
	if err != nil {
		return "", err
	}
	target := len(b.df.stages) - 1
	if o.Target != "" {
		i, ok := b.df.stageIndex(o.Target)
		if !ok {
			return "", fmt.Errorf("target stage %q not found: %w", o.Target, ErrInvalidArg)
		}
		target = i
	}
	end, err := b.s.BeginWrite()
	if err != nil {
		return "", err
	}
	id, err := b.runStages(target, names)
	end(err != nil)
	return id, err
}

// runStages builds the target and the stages it needs, and tags the result.
func (b *build) runStages(target int, names []string) (string, error) {
	var err error
	stages := b.df.needed(target)
	for _, i := range stages {
		b.steps += 1 + len(b.df.stages[i].Commands)
	}
	var id string
	for _, i := range stages {
		if id, err = b.runStage(i, i == target); err != nil {
			return "", err
		}
		b.results[i] = id
	}
	if len(names) > 0 {
		if err := b.s.Tag(id, names...); err != nil {
			return "", err
		}
		fmt.Fprintf(b.out, "COMMIT %s\n--> %s\n", b.o.Tags[0], id[:11])
		for _, n := range names {
			fmt.Fprintf(b.out, "Successfully tagged %s\n", n)
		}
	}
	return id, nil
}

func prepare(ctx context.Context, r *engine.Runtime, o Options) (*build, error) {
	pull, err := o.pullPolicy()
	if err != nil {
		return nil, err
	}
	src, err := contextSource(o.ContextDir)
	if err != nil {
		return nil, err
	}
	path, err := findDockerfile(src.root, o.Dockerfile)
	if err != nil {
		return nil, err
	}
	df, err := parseDockerfile(path)
	if err != nil {
		return nil, err
	}
	c, err := loadCache(r.Store())
	if err != nil {
		return nil, err
	}
	out, errOut := o.Out, o.Err
	if errOut == nil {
		errOut = out
	}
	if o.Quiet || out == nil {
		// RUN's own stderr still shows with -q, as podman's: a failing step in a
		// quiet CI build explains itself.
		out = io.Discard
		if o.Err == nil {
			errOut = io.Discard
		}
	}
	return &build{ctx: ctx, r: r, s: r.Store(), o: o, out: out, errOut: errOut, df: df, context: src, cache: c,
		pull: pull, results: map[int]string{}}, nil
}

func normalizeTags(tags []string) ([]string, error) {
	var names []string
	for _, t := range tags {
		n, err := storage.NormalizeName(t)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", t, err)
		}
		names = append(names, n.String())
	}
	return names, nil
}

// stepf prints "STEP n/N: ..." as podman does.
func (b *build) stepf(format string, a ...any) {
	b.step++
	fmt.Fprintf(b.out, "STEP %d/%d: %s\n", b.step, b.steps, fmt.Sprintf(format, a...))
}
