//go:build !ihsmfirmware

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/diff"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/wire"
)

const specUsage = `usage:
  ihsm spec lint [DIR]         validate and lint the spec in DIR (default: spec, or the embedded spec)
  ihsm spec diff [-json] OLD NEW
                               classify the changes from spec OLD to spec NEW; exit 1 on a policy violation
  ihsm spec dump [DIR]         print the loaded spec as JSON`

// runSpec is `ihsm spec`: the spec contribution workflow of CONTRIBUTING.md.
func runSpec(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, specUsage)
		return exitError{2}
	}
	switch args[0] {
	case "lint":
		return specLint(args[1:], stdout, stderr)
	case "diff":
		return specDiff(args[1:], stdout, stderr)
	case "dump":
		return specDump(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, specUsage)
		return nil
	}
	fmt.Fprintf(stderr, "ihsm spec: unknown subcommand %q\n%s\n", args[0], specUsage)
	return exitError{2}
}

func specFlags(name string, stderr io.Writer) *flag.FlagSet {
	flags := flag.NewFlagSet("ihsm spec "+name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, specUsage) }
	return flags
}

// embedded names the spec compiled into the binary in messages.
const embedded = "embedded spec"

// loadSpec loads the spec in dir. With no dir it loads ./spec when run from
// the repository root, and the spec embedded in the binary otherwise.
func loadSpec(args []string) (*model.Spec, string, error) {
	if len(args) > 0 {
		s, err := loadDir(args[0])
		return s, args[0], err
	}
	if _, err := os.Stat(filepath.Join("spec", "spec.yaml")); err == nil {
		s, err := loadDir("spec")
		return s, "spec", err
	}
	s, err := model.Load(spec.FS)
	return s, embedded, err
}

// loadDir loads the spec in dir, checked with dir's own schema/ so a change
// to the schemas is linted with itself, or with the embedded schemas when dir
// has none.
func loadDir(dir string) (*model.Spec, error) {
	if _, err := os.Stat(filepath.Join(dir, "schema")); err == nil {
		return model.LoadDir(dir)
	}
	schemas, err := fs.Sub(spec.FS, "schema")
	if err != nil {
		return nil, err
	}
	sc, err := model.CompileSchemas(schemas)
	if err != nil {
		return nil, fmt.Errorf("embedded schemas: %w", err)
	}
	return sc.Load(os.DirFS(dir))
}

// reportProblems prints a load failure: each problem on its own line on
// stdout, so editors and CI annotate them, and a count on stderr.
func reportProblems(err error, where string, stdout, stderr io.Writer) error {
	var ps model.Problems
	if !errors.As(err, &ps) {
		return fmt.Errorf("%s: %w", where, err)
	}
	for _, p := range ps {
		q := *p
		if where != embedded {
			q.File = filepath.ToSlash(filepath.Join(where, p.File))
		}
		fmt.Fprintln(stdout, q.Error())
	}
	fmt.Fprintf(stderr, "ihsm spec: %s: %d problem(s)\n", where, len(ps))
	return exitError{1}
}

func specLint(args []string, stdout, stderr io.Writer) error {
	flags := specFlags("lint", stderr)
	if err := flags.Parse(args); err != nil {
		return parseError(err)
	}
	if flags.NArg() > 1 {
		flags.Usage()
		return exitError{2}
	}
	s, where, err := loadSpec(flags.Args())
	if err != nil {
		return reportProblems(err, where, stdout, stderr)
	}
	fmt.Fprintf(stdout, "ok: %d commands, %d status codes, %d requirements, %d state machines\n",
		len(s.Commands), len(s.Status), len(s.Requirements), len(s.States))
	return nil
}

func specDiff(args []string, stdout, stderr io.Writer) error {
	flags := specFlags("diff", stderr)
	asJSON := flags.Bool("json", false, "print the report as JSON")
	if err := flags.Parse(args); err != nil {
		return parseError(err)
	}
	if flags.NArg() != 2 {
		flags.Usage()
		return exitError{2}
	}
	old, err := loadDir(flags.Arg(0))
	if err != nil {
		return reportProblems(err, flags.Arg(0), stdout, stderr)
	}
	new, err := loadDir(flags.Arg(1))
	if err != nil {
		return reportProblems(err, flags.Arg(1), stdout, stderr)
	}
	r := diff.Diff(old, new)
	if *asJSON {
		out, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
			return err
		}
	} else if err := r.WriteText(stdout); err != nil {
		return err
	}
	if !r.OK() {
		return exitError{1}
	}
	return nil
}

func specDump(args []string, stdout, stderr io.Writer) error {
	flags := specFlags("dump", stderr)
	if err := flags.Parse(args); err != nil {
		return parseError(err)
	}
	if flags.NArg() > 1 {
		flags.Usage()
		return exitError{2}
	}
	s, where, err := loadSpec(flags.Args())
	if err != nil {
		return reportProblems(err, where, stdout, stderr)
	}
	out, err := s.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// runVersion is `ihsm version`: the spec version and API revision this
// binary was built from, read from the embedded spec; with --device also
// the revisions the device implements (GetApiRevision), and an error when
// they do not include this binary's.
func runVersion(args []string, stdout, stderr io.Writer) error {
	flags, conn := hsmFlags("version", stderr, false)
	device := flags.Bool("device", false, "also ask the device at --target which API revisions it implements")
	if err := flags.Parse(args); err != nil {
		return parseError(err)
	}
	if flags.NArg() != 0 {
		flags.Usage()
		return exitError{2}
	}
	s, err := model.Load(spec.FS)
	if err != nil {
		return reportProblems(err, embedded, stdout, stderr)
	}
	if _, err := fmt.Fprintf(stdout, "OpenIHSM spec %s, API revision %d.%d\n", s.Meta.Version, s.Meta.APIRevision.Major, s.Meta.APIRevision.Minor); err != nil {
		return err
	}
	if !*device {
		return nil
	}
	ctx, cl, done, err := conn.dial()
	if err != nil {
		return err
	}
	defer done()
	r, err := cl.GetApiRevision(ctx)
	if err != nil {
		return err
	}
	rev := func(v uint16) string { return fmt.Sprintf("%d.%d", v>>8, v&0xff) }
	fmt.Fprintf(stdout, "device %s: API revisions %s to %s\n", conn.target, rev(r.MinRevision), rev(r.MaxRevision))
	if wire.Revision < r.MinRevision || wire.Revision > r.MaxRevision {
		return fmt.Errorf("the device does not implement API revision %s, which this binary speaks", rev(wire.Revision))
	}
	return nil
}
