package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

// runMutants is `ihsm mutants`: the conformance suite run against the
// reference HSM once per deliberate defect, to show it catches each.
//
//	ihsm mutants [--fault NAME]... [--out DIR] [--seed N]
func runMutants(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var names stringList
	fl.Var(&names, "fault", "run only this fault (repeatable; default every fault)")
	out := fl.String("out", "", "write mutants.json and mutants.md to this directory")
	seed := fl.Int64("seed", 0, "random order seed of every run (0 picks one per run)")
	if err := fl.Parse(args); err != nil {
		return parseError(err)
	}
	if fl.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: ihsm mutants [--fault NAME]... [--out DIR] [--seed N]")
		return exitError{2}
	}
	var faults []device.Fault
	for _, n := range names {
		f, err := device.ParseFault(n)
		if err != nil {
			return err
		}
		faults = append(faults, f)
	}
	sp, err := model.Load(spec.FS)
	if err != nil {
		return fmt.Errorf("load spec: %w", err)
	}
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		return err
	}
	ms, err := refhsm.Mutants(context.Background(), refhsm.MutantOptions{
		Base:     runner.Options{Spec: sp, SpecDigest: digest, Features: features.FS, Seed: *seed, Concurrency: 2},
		Faults:   faults,
		Progress: stderr,
	})
	if err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString("| fault | caught | failed scenarios | requirements |\n|---|---|---|---|\n")
	survived := 0
	for _, m := range ms {
		caught := "yes"
		if !m.Caught {
			caught, survived = "**no**", survived+1
		}
		fmt.Fprintf(&md, "| %s | %s | %d | %s |\n", m.Fault, caught, len(m.Scenarios), strings.Join(m.Requirements, " "))
	}
	fmt.Fprint(stdout, md.String())
	fmt.Fprintf(stdout, "%d of %d faults caught\n", len(ms)-survived, len(ms))
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		data, err := json.MarshalIndent(ms, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, "mutants.json"), append(data, '\n'), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, "mutants.md"), []byte("# Mutation run of the conformance suite\n\n"+md.String()), 0o644); err != nil {
			return err
		}
	}
	if survived > 0 {
		return fmt.Errorf("%d fault(s) survived the suite", survived)
	}
	return nil
}
