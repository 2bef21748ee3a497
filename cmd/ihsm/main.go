// Command ihsm is the one command-line tool of OpenIHSM: spec tooling, the
// reference HSM, the conformance suite, evidence and the documentation site.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand of ihsm.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// exitError carries a process exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commands() map[string]command {
	cmds := map[string]command{
		"attest":    {"verify attestation reports; fetch a device attestation", runAttest},
		"bridge":    {"exec adapter: copy frames between stdin/stdout and a device endpoint", runBridge},
		"device":    {"device info, capabilities, self-tests, certificates, zeroize", runDevice},
		"key":       {"generate, use, derive, wrap, import and attest keys on a device", runKey},
		"provision": {"establish the partition credential (PIN)", runProvision},
		"pin":       {"change the partition PIN", runPin},
		"sfr":       {"create, sign, verify and lint OCP SAFE short-form reports", runSFR},
		"sbom":      {"derive and validate the SPDX 2.3 SBOM of a Go binary", runSBOM},
		"evidence":  {"keygen; build and verify signed release evidence offline", runEvidence},
		"serve":     {"serve the reference HSM on local sockets", runServe},
		"conform":   {"run the conformance suite against a device", runConform},
		"spec":      {"lint and diff the machine-readable spec", runSpec},
		"site":      {"build and serve the documentation site", runSite},
		"version":   {"print the spec version and API revision, and with --device the device's", runVersion},
	}
	for name, c := range faultCommands() {
		cmds[name] = c
	}
	return cmds
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ihsm: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		if e, ok := err.(exitError); ok {
			return e.code
		}
		fmt.Fprintf(stderr, "ihsm %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: ihsm <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}
