// Package refhsm embeds the reference HSM for the conformance suite and its
// tests: an ephemeral device served on Unix sockets in a private directory
// (the same server `ihsm serve` runs), and a driver that reaches the same
// device in-process.
//
// The conformance suite never imports the reference HSM; this package is
// the bridge, used by `ihsm conform` without --target, by the tests that
// run the whole suite against the reference HSM, and by the mutation run
// ([Mutants], only in a build with the ihsmfaults tag) that shows the suite
// catches each deliberate defect of package device.
package refhsm
