// Package specgen generates from a spec everything in the repository that
// mirrors it: the wire message and payload types, their validation and
// JSON Schemas (spec/wire), the status codes (spec/rc) and the byte-exact
// test vectors (spec/vectors). [Generate] is a pure function of the spec:
// no clock, no randomness, no map order.
//
// "go generate ./spec/wire" writes its files into the spec tree (through
// spec/internal/gen); "ihsm site build --spec DIR" generates the vectors
// and schemas of the spec in DIR in memory, so the site of an edited spec
// never shows those of another. A test regenerates everything in memory
// and fails when a committed file differs.
package specgen
