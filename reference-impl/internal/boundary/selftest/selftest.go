package selftest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrSelfTestFailed is matched (errors.Is) by every self-test failure.
var ErrSelfTestFailed = errors.New("selftest: self-test failed")

// errForced is the cause recorded for a failure forced through Options.
var errForced = errors.New("failure forced by Options.ForceFail")

// FailureError names the self-test that failed and why.
type FailureError struct {
	Name string
	Err  error
}

func (e *FailureError) Error() string {
	return fmt.Sprintf("selftest: %s failed: %v", e.Name, e.Err)
}

// Unwrap returns ErrSelfTestFailed and the cause, so errors.Is works for both.
func (e *FailureError) Unwrap() []error { return []error{ErrSelfTestFailed, e.Err} }

// Options configures a registry.
type Options struct {
	// ForceFail, when set to the name of a KAT or PCT, makes that test fail.
	// It is for tests only: the device's tests use it to show that every
	// self-test failure puts the device into its Error state.
	ForceFail string
}

// Status is the outcome of one self-test.
type Status int

// Self-test outcomes.
const (
	NotRun Status = iota
	Passed
	Failed
)

func (s Status) String() string {
	switch s {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	}
	return "not run"
}

// Result is the last outcome of one named self-test.
type Result struct {
	Name   string
	Status Status
}

type kat struct {
	name string
	run  func() error
}

// Registry runs the known-answer tests and pairwise consistency tests of
// one device. It is safe for concurrent use.
type Registry struct {
	opts Options
	kats []kat

	mu     sync.Mutex
	status map[string]Status
}

// New returns a registry holding every KAT of [Names].
func New(opts Options) *Registry {
	return &Registry{opts: opts, kats: allKATs(), status: make(map[string]Status)}
}

// Names returns the names of all known-answer tests, in the order Run runs
// them.
func Names() []string {
	ks := allKATs()
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.name
	}
	return out
}

// Names of the pairwise consistency tests (FIPS 140-3 IG 10.3.A).
const (
	PCTECDSA   = "PCT-ECDSA"
	PCTECDH    = "PCT-ECDH"
	PCTRSA     = "PCT-RSA"
	PCTEd25519 = "PCT-ED25519"
	PCTMLDSA65 = "PCT-MLDSA65"
	PCTMLKEM   = "PCT-MLKEM768"
)

// PCTNames returns the names of all pairwise consistency tests.
func PCTNames() []string {
	return []string{PCTECDSA, PCTECDH, PCTRSA, PCTEd25519, PCTMLDSA65, PCTMLKEM}
}

// Run runs every KAT, records each outcome, and returns an error naming the
// first failure (nil when all pass). All tests run even after a failure, so
// Results reports every outcome.
func (r *Registry) Run() error {
	var first error
	for _, k := range r.kats {
		if err := r.runOne(k); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// RunTest runs the named KAT only.
func (r *Registry) RunTest(name string) error {
	for _, k := range r.kats {
		if k.name == name {
			return r.runOne(k)
		}
	}
	return fmt.Errorf("selftest: unknown self-test %q", name)
}

func (r *Registry) runOne(k kat) error {
	err := r.guard(k.name, k.run)
	r.mu.Lock()
	if err != nil {
		r.status[k.name] = Failed
	} else {
		r.status[k.name] = Passed
	}
	r.mu.Unlock()
	return err
}

// PCT runs the pairwise consistency test f under the given PCT name and
// returns a FailureError when it fails.
func (r *Registry) PCT(name string, f func() error) error {
	err := r.guard(name, f)
	r.mu.Lock()
	if err != nil {
		r.status[name] = Failed
	} else if r.status[name] == NotRun {
		r.status[name] = Passed
	}
	r.mu.Unlock()
	return err
}

// guard runs f, converting a forced failure, an error or a panic inside a
// primitive into a FailureError.
func (r *Registry) guard(name string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &FailureError{Name: name, Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	if r.opts.ForceFail != "" && r.opts.ForceFail == name {
		return &FailureError{Name: name, Err: errForced}
	}
	if e := f(); e != nil {
		return &FailureError{Name: name, Err: e}
	}
	return nil
}

// Results returns the last outcome of every KAT and of every PCT that ran.
func (r *Registry) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Result, 0, len(r.kats)+6)
	for _, k := range r.kats {
		out = append(out, Result{Name: k.name, Status: r.status[k.name]})
	}
	for _, n := range PCTNames() {
		if s, ok := r.status[n]; ok {
			out = append(out, Result{Name: n, Status: s})
		}
	}
	return out
}

// Known reports whether name is a KAT or PCT name.
func Known(name string) bool {
	return slices.Contains(Names(), name) || slices.Contains(PCTNames(), name)
}
