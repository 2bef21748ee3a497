// Package vectors holds the byte-exact test vectors of the OpenIHSM wire
// protocol, generated from the spec by spec/specgen (see README.md).
//
// Each [Vector] is one frame, as it travels (length prefix included), with
// the meaning it decodes to and the outcome it expects:
//
//   - for every command, its request with every field and with the
//     required fields only, its success response, and an error response
//     for each status of its error table;
//   - the common errors of wire.yaml, once each;
//   - malformed requests that a device must refuse, with the status it
//     answers.
//
// Bodies of in-session commands are sealed as the channel protection
// prescribes, under the fixed keys the vector names, so the vectors test
// the channel too.
package vectors
