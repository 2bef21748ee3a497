//go:build !ihsmfirmware

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/lint"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

// startEmbedded starts the reference HSM inside this process, attesting
// this executable as its firmware, the way `ihsm serve` does.
func startEmbedded() (*refhsm.HSM, error) {
	version, measurement, err := measureFirmware()
	if err != nil {
		return nil, err
	}
	return refhsm.Start(refhsm.Options{FirmwareVersion: version, FirmwareMeasurement: measurement})
}

// runConform runs the conformance suite against a device, or lints a
// feature bundle:
//
//	ihsm conform lint [DIR]
//	ihsm conform [--target unix:///run/hsm/p0.sock[,unix:///run/hsm/p1.sock]]
//	    [--control unix:///run/hsm/control.sock] [--implementation implementation.yaml]
//	    [--profile baseline,pqc] [--out DIR] [--seed N] [--allow-destructive]
//	    [--concurrency N] [--pin PIN]
func runConform(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "lint" {
		return conformLint(args[1:], stdout, stderr)
	}
	fl := flag.NewFlagSet("conform", flag.ContinueOnError)
	fl.SetOutput(stderr)
	target := fl.String("target", "", "device endpoint URL per partition, comma-separated: unix:///path, tcp://host:port or exec:adapter (default: an embedded reference HSM)")
	control := fl.String("control", "", "control endpoint URL (unix:///path or tcp://host:port); enables @needs-control scenarios")
	implPath := fl.String("implementation", "", "implementation.yaml declaring vendor, product, firmware_version, profiles and features")
	profiles := fl.String("profile", "", "comma-separated profiles to run (default: every claimed profile)")
	out := fl.String("out", "conformance-out", "output directory")
	seed := fl.Int64("seed", 0, "random order seed (0 picks one; it is recorded in the report)")
	destructive := fl.Bool("allow-destructive", false, "run @destructive scenarios (zeroize, tamper)")
	conc := fl.Int("concurrency", 2, "scenarios run in parallel in the first pass")
	pin := fl.String("pin", "", "PIN of the partitions (default: the suite's PIN, used to provision them)")
	if err := fl.Parse(args); err != nil {
		return exitError{2}
	}
	ctx := context.Background()
	if *target == "" {
		if *control != "" {
			fmt.Fprintln(stderr, "ihsm conform: --control needs --target")
			return exitError{2}
		}
		h, err := startEmbedded()
		if err != nil {
			return fmt.Errorf("embedded reference HSM: %w", err)
		}
		defer h.Close()
		*target, *control, *destructive = strings.Join(h.Targets(), ","), h.ControlURL(), true
		fmt.Fprintf(stderr, "ihsm conform: no --target: running against the embedded reference HSM (ephemeral, %d partitions, %s)\n", len(h.Targets()), *target)
	}
	sp, err := model.Load(spec.FS)
	if err != nil {
		return fmt.Errorf("load spec: %w", err)
	}
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		return err
	}
	urls, err := driver.ParseTargets(*target)
	if err != nil {
		fmt.Fprintf(stderr, "ihsm conform: --target: %v\n", err)
		return exitError{2}
	}
	var d driver.Driver = &driver.URLs{Targets: urls}
	if *control != "" {
		c, err := driver.DialControl(ctx, *control)
		if err != nil {
			return err
		}
		defer c.Close()
		d = driver.WithControl(d, c)
	}
	o := runner.Options{
		Spec: sp, SpecDigest: digest, Features: features.FS, Driver: d, Target: *target,
		Out: *out, Seed: *seed, AllowDestructive: *destructive, Concurrency: *conc,
		Progress: stderr, PIN: []byte(*pin),
	}
	if *implPath != "" {
		if o.Implementation, err = runner.LoadImplementation(*implPath); err != nil {
			fmt.Fprintf(stderr, "ihsm conform: --implementation: %v\n", err)
			return exitError{2}
		}
	}
	if *profiles != "" {
		o.Profiles = strings.Split(*profiles, ",")
	}
	r, err := runner.Run(ctx, o)
	if r != nil {
		runner.Summary(stdout, r)
	}
	if err != nil {
		return err
	}
	where := filepath.Join(*out, "conformance-report.json")
	switch r.Result {
	case report.Passed:
		return nil
	case report.Incomplete:
		fmt.Fprintf(stderr, "ihsm conform: incomplete: nothing failed, but a claimed profile had no scenario that could run (see the profile lines above and %s)\n", where)
		return exitError{3}
	}
	failed, passed := 0, 0
	for _, s := range r.Scenarios {
		switch s.Status {
		case report.Failed:
			failed++
		case report.Passed:
			passed++
		}
	}
	if failed+passed == 0 && len(r.Problems) > 0 {
		return fmt.Errorf("nothing was tested: %s (see %s)", r.Problems[0], where)
	}
	return fmt.Errorf("the device does not conform: %d scenario(s) failed, %d problem(s) (see %s)", failed, len(r.Problems), where)
}

// conformLint is `ihsm conform lint [DIR]`: the features lint
// (conformance/lint) over the feature bundle in DIR, or over the bundle
// embedded in this binary. It prints one "file:line: rule: message" line
// per problem and exits 1 when there is any.
func conformLint(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("conform lint", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ihsm conform lint [DIR]   (default: the embedded feature bundle)")
	}
	if err := fl.Parse(args); err != nil {
		return parseError(err)
	}
	if fl.NArg() > 1 {
		fl.Usage()
		return exitError{2}
	}
	bundle, name := fs.FS(features.FS), "embedded features"
	if fl.NArg() == 1 {
		st, err := os.Stat(fl.Arg(0))
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", fl.Arg(0))
		}
		bundle, name = os.DirFS(fl.Arg(0)), fl.Arg(0)
	}
	sp, err := model.Load(spec.FS)
	if err != nil {
		return fmt.Errorf("load spec: %w", err)
	}
	ps, err := lint.Lint(lint.Options{Spec: sp, Features: bundle})
	if err != nil {
		return err
	}
	for _, p := range ps {
		fmt.Fprintln(stdout, p)
	}
	if len(ps) > 0 {
		return fmt.Errorf("%s: %d problem(s)", name, len(ps))
	}
	pickles, _, err := runner.ParseFeatures(bundle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s, %d scenarios\n", name, len(pickles))
	return nil
}
