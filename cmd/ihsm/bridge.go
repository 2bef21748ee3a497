//go:build !ihsmfirmware

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/openihsm/openihsm/spec/transport"
)

const bridgeUsage = "usage: ihsm bridge TARGET   (TARGET: unix:///path or tcp://host:port; frames on stdin and stdout)"

// runBridge is `ihsm bridge TARGET`: an exec adapter that copies frames
// between its standard input and output and a device endpoint, unchanged.
// `ihsm conform --target "exec:ihsm bridge unix:///run/hsm/p0.sock"` runs
// the suite through the exec transport; a vendor whose device is reached
// through a driver or a serial line writes the same loop around its own
// I/O (spec/transport.Bridge).
func runBridge(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("ihsm bridge", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprintln(stderr, bridgeUsage) }
	if err := fl.Parse(args); err != nil {
		return parseError(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return exitError{2}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return transport.Bridge(ctx, fl.Arg(0), os.Stdin, stdout)
}
