// Package rc holds the status codes of the OpenIHSM wire protocol, generated
// from the status-code registry of the spec (spec/status.yaml).
//
// # One type for every status
//
// [Code] is a uint32 that implements error. A device returns a Code (wrapped
// or not) and puts [FromError] of it in the status field of the response
// header; a client turns a non-zero status back into the same Code, so both
// sides test outcomes the same way:
//
//	if errors.Is(err, rc.KeyNotFound) { ... }
//
// Only the numeric code crosses the wire, never error text. Conformance
// steps name statuses by their spec name and resolve them with [ByName].
//
// # Generated code
//
// codes.go is written by the spec generator (spec/specgen, run with go
// generate in spec/wire) and must not be edited; a test in the generator
// fails when it no longer matches spec/status.yaml.
package rc
