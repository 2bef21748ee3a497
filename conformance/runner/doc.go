// Package runner runs the conformance suite against a device: it checks
// the vendor's implementation.yaml against the device, selects scenarios
// from the claimed profiles (the tag expression is computed in code), runs
// godog in strict mode with recorded random-order seeds, first the
// independent scenarios in parallel and then the @serial and @destructive
// ones alone, and writes conformance-report.json and the cucumber JSON
// (each checked against its schema before it is written), the
// hash-chained transcript, JUnit XML and the requirement coverage matrix.
//
// Scenarios a run cannot test are never reported as passed: a profile the
// implementation does not claim, @needs-control without a control channel,
// @two-partitions with a single endpoint and @not-mechanical (a generated
// scenario whose condition no client can produce; its description says
// why) are not-tested; @destructive without AllowDestructive is skipped.
//
// The result is failed when a scenario or vector failed, a claimed
// profile was rejected (a mandatory feature the device does not report),
// the device could not be reached, nothing could be selected, or a
// declaration did not match; the report is written all the same, with
// the problems. It is incomplete when nothing failed but a claimed,
// selected profile had no scenario that could run, and passed otherwise.
// A profile the bundle has no scenario for fails: the features lint
// (package conformance/lint) keeps the suite's own bundle from having one.
package runner
