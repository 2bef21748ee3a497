//go:build ihsmfaults

package refhsm

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/reference-impl/device"
)

// Mutant is the outcome of running the suite against the reference HSM
// started with one deliberate defect.
type Mutant struct {
	Fault device.Fault `json:"fault"`
	// Caught reports whether a scenario naming a requirement failed: a
	// fault counts as caught only when the suite says which requirement
	// it breaks, not when the run merely fails (a run-level problem).
	Caught bool `json:"caught"`
	// Scenarios are the scenarios that failed (feature:line name), and
	// Requirements the requirement ids they carry.
	Scenarios    []string `json:"scenarios"`
	Requirements []string `json:"requirements"`
	// Problems are run-level failures (implementation checks).
	Problems   []string `json:"problems,omitempty"`
	DurationMS int64    `json:"duration_ms"`
}

// MutantOptions configure a mutation run. Base supplies the suite (spec,
// features, seed, concurrency); its Driver, Target, Out and Progress are
// set per mutant.
type MutantOptions struct {
	Base   runner.Options
	Faults []device.Fault // default: every fault of package device
	// Progress receives a line per mutant; nil for none.
	Progress io.Writer
}

// Mutants runs the whole suite, destructive and control scenarios
// included, once per fault against an in-process reference HSM with that
// fault, and reports which scenarios and requirements caught it.
func Mutants(ctx context.Context, o MutantOptions) ([]Mutant, error) {
	faults := o.Faults
	if len(faults) == 0 {
		faults = device.Faults()
	}
	var out []Mutant
	for _, f := range faults {
		start := time.Now()
		h, err := Start(Options{Faults: []device.Fault{f}, PINIterations: 1000})
		if err != nil {
			return out, fmt.Errorf("mutant %s: %w", f, err)
		}
		ro := o.Base
		ro.Driver, ro.Target, ro.Out, ro.Progress = h.InProcess(), "in-process with fault "+f.String(), "", nil
		ro.AllowDestructive = true
		r, err := runner.Run(ctx, ro)
		cerr := h.Close()
		if err != nil {
			return out, fmt.Errorf("mutant %s: %w", f, err)
		}
		if cerr != nil {
			return out, fmt.Errorf("mutant %s: %w", f, cerr)
		}
		m := Mutant{Fault: f, Problems: r.Problems, DurationMS: time.Since(start).Milliseconds()}
		for _, s := range r.Scenarios {
			if s.Status != report.Failed {
				continue
			}
			m.Scenarios = append(m.Scenarios, s.ID+" "+s.Name)
			for _, id := range s.Requirements {
				if !slices.Contains(m.Requirements, id) {
					m.Requirements = append(m.Requirements, id)
				}
			}
		}
		slices.Sort(m.Requirements)
		m.Caught = len(m.Requirements) > 0
		if o.Progress != nil {
			verdict := "SURVIVED"
			if m.Caught {
				verdict = "caught"
			}
			fmt.Fprintf(o.Progress, "mutant %-32s %-8s %d scenarios failed %v\n", f, verdict, len(m.Scenarios), m.Requirements)
		}
		out = append(out, m)
	}
	return out, nil
}
