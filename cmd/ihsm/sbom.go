//go:build !ihsmfirmware

package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/openihsm/openihsm/sbom"
)

const sbomUsage = `usage:
  ihsm sbom BINARY [--out FILE]
  ihsm sbom --validate FILE

Derives the SPDX 2.3 SBOM of a Go binary from its embedded build
information (modules linked, versions, purls, toolchain, build settings) and
checks it against the official SPDX 2.3 JSON schema and the project's strict
rules. The output is deterministic; the creation time comes from
SOURCE_DATE_EPOCH or the binary's vcs.time. --validate checks an existing
SPDX JSON file instead.
`

func runSBOM(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ihsm sbom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sbomUsage) }
	out := fs.String("out", "", "write the SBOM to `FILE` instead of standard output")
	validate := fs.String("validate", "", "validate the SPDX JSON `FILE` and exit")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *validate != "" {
		if len(pos) != 0 || *out != "" {
			fmt.Fprint(stderr, sbomUsage)
			return exitError{2}
		}
		data, err := os.ReadFile(*validate)
		if err != nil {
			return err
		}
		if err := sbom.ValidateJSON(data); err != nil {
			return fmt.Errorf("%s: %w", *validate, err)
		}
		fmt.Fprintf(stdout, "%s: valid SPDX 2.3 (official schema and strict checks)\n", *validate)
		return nil
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, sbomUsage)
		return exitError{2}
	}
	doc, err := sbom.FromBinary(pos[0])
	if err != nil {
		return err
	}
	data, err := sbom.Marshal(doc)
	if err != nil {
		return err
	}
	if err := sbom.ValidateJSON(data); err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
