//go:build ihsmfaults

package main

import (
	"context"
	"encoding/json"
	"errors"
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

// faultCommands are the commands only a build with the ihsmfaults tag has.
func faultCommands() map[string]command {
	return map[string]command{
		"mutants": {"show the conformance suite catches every deliberate defect of the reference HSM", runMutants},
	}
}

// serveFaults registers `ihsm serve --insecure-fault` and returns the
// function that applies it to the device configuration: faults run only on
// an ephemeral state served on local sockets.
func serveFaults(fl *flag.FlagSet) func(cfg *device.Config, state string, nonLoopback bool, stderr io.Writer) error {
	var names stringList
	fl.Var(&names, "insecure-fault", "start with the named deliberate defect, for mutation testing of the conformance suite (repeatable; --ephemeral only; never for real use)")
	return func(cfg *device.Config, state string, nonLoopback bool, stderr io.Writer) error {
		if len(names) == 0 {
			return nil
		}
		if state != "" || nonLoopback {
			return errors.New("--insecure-fault runs only with --ephemeral and without --allow-non-loopback: a faulty device must not write a state directory or be reachable beyond this host")
		}
		for _, n := range names {
			f, err := device.ParseFault(n)
			if err != nil {
				return err
			}
			cfg.Faults = append(cfg.Faults, f)
		}
		fmt.Fprintf(stderr, "\n*** WARNING: INSECURE FAULT INJECTION: %v ***\n*** This device is deliberately defective, for mutation testing only. ***\n\n", cfg.Faults)
		return nil
	}
}

// runMutants is `ihsm mutants`: the conformance suite run against the
// reference HSM once per deliberate defect, to show it catches each.
//
//	ihsm mutants [--fault NAME]... [--list] [--out DIR] [--seed N]
func runMutants(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var names stringList
	fl.Var(&names, "fault", "run only this fault (repeatable; default every fault)")
	list := fl.Bool("list", false, "print the name of every fault and exit")
	out := fl.String("out", "", "write mutants.json and mutants.md to this directory")
	seed := fl.Int64("seed", 0, "random order seed of every run (0 picks one per run)")
	if err := fl.Parse(args); err != nil {
		return parseError(err)
	}
	if fl.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: ihsm mutants [--fault NAME]... [--list] [--out DIR] [--seed N]")
		return exitError{2}
	}
	if *list {
		for _, f := range device.Faults() {
			fmt.Fprintln(stdout, f)
		}
		return nil
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
