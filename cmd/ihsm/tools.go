//go:build !ihsmfirmware

package main

// versionSummary is the summary of `ihsm version` in the full tool.
const versionSummary = "print the spec version and API revision, and with --device the device's"

// toolCommands are the commands of the full tool: the spec tooling, the
// device client, the conformance suite, evidence and the site. A firmware
// build (tag ihsmfirmware) leaves them out; see firmware.go.
func toolCommands() map[string]command {
	return map[string]command{
		"attest":    {"verify attestation reports; fetch a device attestation", runAttest},
		"bridge":    {"exec adapter: copy frames between stdin/stdout and a device endpoint", runBridge},
		"device":    {"device info, capabilities, self-tests, certificates, zeroize", runDevice},
		"key":       {"generate, use, derive, wrap, import and attest keys on a device", runKey},
		"provision": {"establish the partition credential (PIN)", runProvision},
		"pin":       {"change the partition PIN", runPin},
		"sfr":       {"create, sign, verify and lint OCP SAFE short-form reports", runSFR},
		"sbom":      {"derive and validate the SPDX 2.3 SBOM of a Go binary", runSBOM},
		"evidence":  {"keygen; build and verify signed release evidence offline", runEvidence},
		"conform":   {"run the conformance suite against a device", runConform},
		"spec":      {"lint and diff the machine-readable spec", runSpec},
		"site":      {"build and serve the documentation site", runSite},
	}
}
