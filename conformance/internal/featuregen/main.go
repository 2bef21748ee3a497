// Command featuregen writes the mechanical conformance scenarios of
// features/generated from the spec: one scenario per row of every
// command's error table (spec/commands/*.yaml) and per common error of
// wire.yaml, one per command a state of spec/states.yaml refuses, one per
// limit of spec/architecture/limits.yaml, and the field limits of every
// request. Behavioural scenarios are hand-written in features/*.feature.
//
// Each scenario drives the device into the row's condition with the
// suite's fixed step vocabulary (conformance/steps) and asserts the
// status by its spec name. How a condition is produced is a recipe of
// this package; a row without a recipe stops the generator, so a new row
// in the spec needs a recipe or a reason. A row whose condition no
// client can produce through the wire protocol and the control channel
// becomes a scenario tagged @not-mechanical whose description gives the
// reason: the runner reports it as not tested, never as passed.
//
//	go generate ./features        (from the repository root)
//	go run ./conformance/internal/featuregen -out features/generated
//
// The output is a pure function of the spec. A test regenerates it in
// memory and fails when a committed file differs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "featuregen: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("featuregen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "generated", "the directory of the generated feature files (emptied of *.feature first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := model.Load(spec.FS)
	if err != nil {
		return err
	}
	files, err := Generate(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(*out, "*.feature"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
