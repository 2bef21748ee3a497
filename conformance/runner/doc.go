// Package runner runs the conformance suite against a device: it selects
// scenarios from the claimed profiles (the tag expression is computed in
// code and a run that selects nothing fails), runs godog in strict mode with
// a recorded random-order seed, first the independent scenarios in
// parallel and then the @serial and @destructive ones alone, checks the
// vendor's implementation.yaml against the device, and writes
// conformance-report.json (validated against its schema), the hash-chained
// transcript, cucumber JSON, JUnit XML and the requirement coverage matrix.
//
// Scenarios a run cannot test are never reported as passed: a profile the
// implementation does not claim, @needs-control without a control channel,
// @two-partitions with a single endpoint and @not-mechanical (a generated
// scenario whose condition no client can produce; its description says
// why) are not-tested; @destructive without AllowDestructive is skipped.
package runner
