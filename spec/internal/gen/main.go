// Command gen writes what package specgen generates from the spec: the
// wire message types, their validation and JSON Schemas (spec/wire), the
// status codes (spec/rc) and the byte-exact test vectors (spec/vectors).
//
// It reads the spec with spec/model and writes its files relative to the
// spec root:
//
//	go run ./internal/gen          (from spec/)
//	go generate ./spec/wire        (from the repository root)
//
// Its output is a pure function of the spec files: no clock, no randomness,
// no map order. A test of specgen regenerates everything in memory and fails
// when a committed file differs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/specgen"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "specgen: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("specgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the spec root: the directory holding spec.yaml")
	out := fs.String("out", "", "where to write the generated files (default: the spec root)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := model.LoadDir(*root)
	if err != nil {
		return err
	}
	files, err := specgen.Generate(s)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = *root
	}
	// Directories owned wholly by the generator are emptied first, so a
	// command removed from the spec leaves no schema or vector behind.
	for _, dir := range specgen.OwnedDirs {
		old, err := filepath.Glob(filepath.Join(*out, dir, "*.json"))
		if err != nil {
			return err
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for _, f := range files {
		p := filepath.Join(*out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
