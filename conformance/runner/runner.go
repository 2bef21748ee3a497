package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/steps"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/conformance/vectors"
	"github.com/openihsm/openihsm/spec/model"
)

// Options configure a run.
type Options struct {
	Spec       *model.Spec
	SpecDigest string
	Features   fs.FS // the feature bundle
	Driver     driver.Driver
	Target     string // shown in the report
	// Implementation is the vendor's declaration; nil takes the device's
	// own description and the profiles whose mandatory features it has.
	Implementation   *Implementation
	Profiles         []string // restrict the run to these profiles; empty means all claimed
	Out              string   // output directory; empty writes nothing
	Seed             int64    // random order seed; 0 picks one (recorded)
	AllowDestructive bool
	Concurrency      int
	PIN              []byte
	Progress         io.Writer // live progress line; nil for none
	// SkipVectors leaves out the known-answer and negative vectors
	// (conformance/vectors), which otherwise run after the scenarios.
	SkipVectors bool
}

// Tags of the suite.
const (
	TagSerial        = "@serial"
	TagDestructive   = "@destructive"
	TagNeedsControl  = "@needs-control"
	TagTwoPartitions = "@two-partitions"
	// TagNotMechanical marks a scenario whose condition no client can
	// produce through the wire protocol and the control channel; it has
	// no steps, its description says why, and it is reported not tested.
	TagNotMechanical = "@not-mechanical"
)

// Run runs the suite and returns the finalized report, written to Out. An
// error means the run itself could not be carried out (options, outputs);
// a device that fails, cannot be reached, or whose claims leave nothing to
// run is a report whose Result is failed and whose Problems say why.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	if o.Spec == nil || o.SpecDigest == "" || o.Features == nil || o.Driver == nil {
		return nil, errors.New("runner: the spec, its digest, the features and a driver are required")
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Target == "" {
		o.Target = "unnamed driver"
	}
	pickles, featDigest, err := ParseFeatures(o.Features)
	if err != nil {
		return nil, err
	}
	exemptions, err := LoadExemptions(o.Features)
	if err != nil {
		return nil, err
	}
	suite, err := suiteOf(o.Spec, featDigest)
	if err != nil {
		return nil, err
	}
	suite.SpecDigest = o.SpecDigest
	var tw io.Writer
	var tfile *os.File
	if o.Out != "" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return nil, err
		}
		tfile, err = os.Create(filepath.Join(o.Out, "transcript.jsonl"))
		if err != nil {
			return nil, err
		}
		defer tfile.Close()
		tw = tfile
	}
	rec := transcript.New(tw)
	env, err := steps.NewEnv(o.Spec, o.Driver, rec, o.PIN)
	if err != nil {
		return nil, err
	}
	r := &report.Report{
		ReportVersion: report.Version, Suite: suite,
		Target: o.Target, Control: env.Control != nil, Seed: o.Seed, SerialSeed: o.Seed + 1, Started: time.Now().UTC(),
	}
	chk := checkImplementation(ctx, env, o)
	r.Implementation = chk.impl
	r.Problems = append(r.Problems, chk.problems...)
	claims := chk.claims

	// Selection.
	profiles := map[string]bool{}
	for _, p := range o.Spec.Meta.Profiles {
		profiles["@"+p.Name] = true
	}
	for _, p := range o.Profiles {
		switch c, ok := claims[p]; {
		case !ok:
			r.Problems = append(r.Problems, fmt.Sprintf("--profile %s: the spec defines no such profile", p))
		case !c.Claimed:
			r.Problems = append(r.Problems, fmt.Sprintf("--profile %s: the implementation does not claim it", p))
		}
	}
	var run []string
	for p, c := range claims {
		if c.Claimed && c.Rejected == "" && !chk.unreachable && (len(o.Profiles) == 0 || slices.Contains(o.Profiles, p)) {
			run = append(run, "@"+p)
			c.Selected = true
			claims[p] = c
		}
	}
	sort.Strings(run)
	results := newResults()
	var base expr
	if len(run) > 0 {
		base = append(base, run)
	}
	notTested := func(p Pickle, status, why string) {
		results.set(p.Key(), result{status: status, message: why})
	}
	twoParts := o.Driver.Partitions() >= 2
	for _, p := range pickles {
		prof := profileOf(p, profiles)
		switch {
		case p.HasTag(TagNotMechanical):
			notTested(p, report.NotTested, "not produced mechanically: "+strings.TrimPrefix(p.Description, "Not produced mechanically: "))
		case chk.unreachable:
			notTested(p, report.NotTested, "the device could not be reached")
		case !slices.Contains(run, "@"+prof):
			notTested(p, report.NotTested, "profile "+prof+" not claimed, rejected or not selected")
		case p.HasTag(TagNeedsControl) && env.Control == nil:
			notTested(p, report.NotTested, "needs a control channel (--control)")
		case p.HasTag(TagTwoPartitions) && !twoParts:
			notTested(p, report.NotTested, "needs two partition endpoints")
		case p.HasTag(TagDestructive) && !o.AllowDestructive:
			notTested(p, report.Skipped, "destructive: run with --allow-destructive")
		}
	}
	excl := func(e expr) expr {
		e = append(e, []string{"~" + TagNotMechanical})
		if env.Control == nil {
			e = append(e, []string{"~" + TagNeedsControl})
		}
		if !twoParts {
			e = append(e, []string{"~" + TagTwoPartitions})
		}
		return e
	}
	parallel := excl(append(slices.Clone(base), []string{"~" + TagSerial}, []string{"~" + TagDestructive}))
	serial := []string{TagSerial}
	if o.AllowDestructive {
		serial = append(serial, TagDestructive)
	}
	alone := excl(append(slices.Clone(base), serial))
	if !o.AllowDestructive {
		alone = append(alone, []string{"~" + TagDestructive})
	}
	selected := 0
	for _, p := range pickles {
		if len(run) > 0 && (parallel.match(p.Tags) || alone.match(p.Tags)) {
			selected++
		}
	}
	var cucumber []json.RawMessage
	switch {
	case chk.unreachable:
	case selected == 0:
		r.Problems = append(r.Problems, noneSelected(run, claims))
	default:
		prog := newProgress(o.Progress, selected)
		for i, pass := range []struct {
			e    expr
			conc int
			seed int64
		}{{parallel, o.Concurrency, r.Seed}, {alone, 1, r.SerialSeed}} {
			n := 0
			for _, p := range pickles {
				if pass.e.match(p.Tags) {
					n++
				}
			}
			if n == 0 {
				continue
			}
			cj, code, err := runPass(ctx, o, env, pass.e, pass.conc, pass.seed, results, prog)
			if err != nil {
				return nil, err
			}
			cucumber = append(cucumber, cj...)
			if code == 2 {
				return nil, fmt.Errorf("runner: godog rejected its options (tags %q)", pass.e)
			}
			if code != 0 && !results.anyFailed() {
				r.Problems = append(r.Problems, fmt.Sprintf("godog reported failure in pass %d (undefined or pending steps?)", i+1))
			}
		}
		prog.done()
	}

	for _, p := range pickles {
		res, ok := results.get(p.Key())
		if !ok {
			res = result{status: report.Failed, message: "selected but did not run"}
			if selected == 0 || chk.unreachable {
				res = result{status: report.NotTested, message: "not run"}
			}
		}
		r.Scenarios = append(r.Scenarios, report.Scenario{
			ID: p.ID(), Name: p.Name, Feature: p.URI, Tags: p.Tags,
			Requirements: requirementsOf(p), Profile: profileOf(p, profiles),
			Status: res.status, DurationMS: res.ms, Message: res.message,
		})
	}
	if !o.SkipVectors && !chk.unreachable {
		r.Vectors, r.Problems = runVectors(ctx, o, env.PIN, rec, r.Problems)
	}
	if err := rec.Flush(); err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	digest, frames := rec.Digest()
	r.Transcript = report.Transcript{File: "transcript.jsonl", Digest: digest, Frames: frames}
	why := map[string]string{}
	for _, e := range exemptions {
		why[e.ID] = "no scenario yet: " + e.Reason
	}
	var reqs []report.Requirement
	for _, q := range o.Spec.Requirements {
		if q.Withdrawn {
			continue
		}
		reqs = append(reqs, report.Requirement{ID: q.ID, Level: q.Level, Profile: q.Profile, Tested: q.Tested, Reason: why[q.ID]})
	}
	r.Finished = time.Now().UTC()
	r.Finalize(reqs, claims)
	if o.Out != "" {
		if err := writeOutputs(o.Out, r, cucumber); err != nil {
			return r, err
		}
	}
	return r, nil
}

// noneSelected explains a run that selected no scenario.
func noneSelected(run []string, claims map[string]report.ProfileClaim) string {
	if len(run) == 0 {
		var claimed []string
		for p, c := range claims {
			if c.Claimed {
				claimed = append(claimed, p)
			}
		}
		sort.Strings(claimed)
		if len(claimed) == 0 {
			return "no scenario ran: the implementation claims no profile the spec defines"
		}
		return fmt.Sprintf("no scenario ran: no claimed profile %v is both accepted by the implementation check and selected", claimed)
	}
	return fmt.Sprintf("no scenario ran: the profiles %v select no scenario the run can execute (see the reasons of the scenarios)", run)
}

// runVectors runs the vectors on partition 0 after the scenarios, so
// they share no partition state with them; a failing file becomes a
// problem naming its first failing vector.
func runVectors(ctx context.Context, o Options, pin []byte, rec *transcript.Recorder, problems []string) ([]report.VectorTally, []string) {
	res, err := vectors.Run(ctx, vectors.Options{Driver: o.Driver, PIN: pin, Recorder: rec})
	if err != nil {
		return nil, append(problems, err.Error())
	}
	for _, t := range res.Tallies {
		if len(t.Failures) > 0 {
			problems = append(problems, fmt.Sprintf("vectors: %s: %d failed, first %s", t.Source, t.Failed, t.Failures[0]))
		}
	}
	return res.Tallies, problems
}

func profileOf(p Pickle, profiles map[string]bool) string {
	for _, t := range p.Tags {
		if profiles[t] {
			return t[1:]
		}
	}
	return ""
}

func requirementsOf(p Pickle) []string {
	out := []string{}
	for _, t := range p.Tags {
		if strings.HasPrefix(t, "@IHSM-") {
			out = append(out, t[1:])
		}
	}
	return out
}

type result struct {
	status  string
	ms      float64
	message string
}

type results struct {
	mu sync.Mutex
	m  map[string]result
}

func newResults() *results { return &results{m: map[string]result{}} }

func (r *results) set(k string, v result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[k] = v
}

func (r *results) get(k string) (result, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	return v, ok
}

func (r *results) anyFailed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.m {
		if v.status == report.Failed {
			return true
		}
	}
	return false
}

type startKey struct{}

// runPass runs one godog pass and returns its cucumber JSON features.
func runPass(ctx context.Context, o Options, env *steps.Env, e expr, conc int, seed int64, res *results, prog *progress) ([]json.RawMessage, int, error) {
	dir, err := os.MkdirTemp("", "ihsm-conform-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	cj := filepath.Join(dir, "cucumber.json")
	suite := godog.TestSuite{
		Name: "openihsm",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			steps.Register(sc, env)
			sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
				return context.WithValue(ctx, startKey{}, time.Now()), nil
			})
			sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
				start, _ := ctx.Value(startKey{}).(time.Time)
				v := result{status: report.Passed, ms: float64(time.Since(start).Microseconds()) / 1000}
				if err != nil {
					v.status, v.message = report.Failed, err.Error()
				}
				res.set(p.Uri+"::"+p.Name, v)
				prog.add(p.Uri+": "+p.Name, v.status)
				return ctx, nil
			})
		},
		Options: &godog.Options{
			FS:             o.Features,
			Paths:          []string{"."},
			Tags:           e.String(),
			Format:         "cucumber:" + cj,
			Output:         io.Discard,
			Strict:         true,
			Randomize:      seed,
			Concurrency:    conc,
			DefaultContext: ctx,
			NoColors:       true,
		},
	}
	code := suite.Run()
	data, err := os.ReadFile(cj)
	if err != nil {
		return nil, code, fmt.Errorf("cucumber output: %w", err)
	}
	var feats []json.RawMessage
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &feats); err != nil {
			return nil, code, fmt.Errorf("cucumber output: %w", err)
		}
	}
	return feats, code, nil
}

// progress reports a run as it goes: one line rewritten in place on a
// terminal, otherwise (a CI log) a line per failure and per tenth of the
// run.
type progress struct {
	mu                   sync.Mutex
	w                    io.Writer
	tty                  bool
	total, n, pass, fail int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) add(name, status string) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if status == report.Passed {
		p.pass++
	} else {
		p.fail++
	}
	line := fmt.Sprintf("conform: %d/%d scenarios, %d passed, %d failed", p.n, p.total, p.pass, p.fail)
	switch {
	case p.tty && status != report.Passed:
		fmt.Fprintf(p.w, "\r\033[K%s %s\n%s", status, name, line)
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	default:
		if status != report.Passed {
			fmt.Fprintf(p.w, "%s %s\n", status, name)
		}
		if step := max(p.total/10, 1); p.n%step == 0 || p.n == p.total {
			fmt.Fprintln(p.w, line)
		}
	}
}

func (p *progress) done() {
	if p != nil && p.w != nil && p.tty {
		fmt.Fprintln(p.w)
	}
}

// writeOutputs writes the report and the outputs derived from it, each
// JSON one checked against its schema (conformance/report/schema) first,
// so a run never leaves a broken file for a certification body or a CI
// tool to trip on. A report that does not validate is an error and
// nothing is written. A cucumber JSON that does not validate is an error
// too, but the verdict is kept: the other outputs are written and
// cucumber.json is not. (junit.xml is checked against schema/junit.xsd by
// the report package's tests; Go has no XML Schema validator.)
func writeOutputs(dir string, r *report.Report, cucumber []json.RawMessage) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := report.Validate(data); err != nil {
		return fmt.Errorf("the report does not validate against its schema: %w", err)
	}
	if cucumber == nil {
		cucumber = []json.RawMessage{}
	}
	cj, err := json.MarshalIndent(cucumber, "", "  ")
	if err != nil {
		return err
	}
	var junit, cov bytes.Buffer
	if err := r.WriteJUnit(&junit); err != nil {
		return err
	}
	if err := r.WriteCoverage(&cov); err != nil {
		return err
	}
	files := map[string][]byte{
		"conformance-report.json": append(data, '\n'),
		"junit.xml":               junit.Bytes(),
		"coverage.md":             cov.Bytes(),
	}
	cucumberErr := report.ValidateCucumber(cj)
	if cucumberErr == nil {
		files["cucumber.json"] = cj
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	if cucumberErr != nil {
		return fmt.Errorf("godog's cucumber JSON does not validate against its schema, so cucumber.json is not written: %w", cucumberErr)
	}
	return nil
}

// Summary writes the per-profile table of a report, the reason of each
// profile that did not pass, the run's problems and its result.
func Summary(w io.Writer, r *report.Report) {
	fmt.Fprintf(w, "%-12s %-8s %-10s %7s %7s %8s %11s\n", "PROFILE", "CLAIMED", "RESULT", "PASSED", "FAILED", "SKIPPED", "NOT-TESTED")
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "%-12s %-8v %-10s %7d %7d %8d %11d\n", p.Name, p.Claimed, p.Result, p.Passed, p.Failed, p.Skipped, p.NotTested)
	}
	for _, p := range r.Profiles {
		if p.Reason != "" && p.Claimed {
			fmt.Fprintf(w, "profile %s: %s: %s\n", p.Name, p.Result, p.Reason)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	fmt.Fprintf(w, "result: %s (seeds %d and %d, transcript %s, %d frames)\n", r.Result, r.Seed, r.SerialSeed, r.Transcript.Digest, r.Transcript.Frames)
}
