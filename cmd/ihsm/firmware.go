//go:build ihsmfirmware

package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"io"

	"github.com/openihsm/openihsm/spec/wire"
)

// A firmware build (go build -tags ihsmfirmware ./cmd/ihsm) is the
// reference HSM as a device ships it: `ihsm serve` and `ihsm version`,
// nothing else. It links neither the conformance suite and its test
// vectors nor the evidence, spec and site tooling, so the binary a release's
// evidence attests, its SBOM and the measurement the device reports cover
// the device alone. `ihsm evidence build` makes this build by default.

const versionSummary = "print the firmware version and measurement, the spec version and API revision"

// toolCommands are none in a firmware build.
func toolCommands() map[string]command { return nil }

// runVersion is `ihsm version` in a firmware build: what the device would
// report about itself, read from its own executable.
func runVersion(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("version", flag.ContinueOnError)
	flags.SetOutput(stderr)
	if err := flags.Parse(args); err != nil {
		return parseError(err)
	}
	if flags.NArg() != 0 {
		flags.Usage()
		return exitError{2}
	}
	v, m, err := measureFirmware()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "OpenIHSM reference HSM firmware %s (sha384:%s)\nOpenIHSM spec %s, API revision %d.%d\n",
		v, hex.EncodeToString(m[:]), wire.SpecVersion, wire.Revision>>8, wire.Revision&0xff)
	return err
}
