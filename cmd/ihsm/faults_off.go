//go:build !ihsmfaults

package main

import (
	"flag"
	"io"

	"github.com/openihsm/openihsm/reference-impl/device"
)

// faultCommands are the commands only a build with the ihsmfaults tag has:
// none in this build.
func faultCommands() map[string]command { return nil }

// serveFaults registers nothing: this build has no fault injection, so
// `ihsm serve` has no --insecure-fault flag.
func serveFaults(*flag.FlagSet) func(*device.Config, string, bool, io.Writer) error {
	return func(*device.Config, string, bool, io.Writer) error { return nil }
}
