// Package depstest keeps the repository's dependency order true, the way
// Go's own go/build deps_test.go guards the FIPS module: the spec is the
// root of the graph and imports nothing else from the repository; the
// conformance suite, the evidence tools and the SBOM tooling talk to a device
// only through the wire protocol and never import the reference HSM; and the
// security boundary (reference-impl/internal/boundary/...) imports only the
// standard library's cryptography and encoding packages plus an allow-list
// of cryptographic modules, never networking, processes, logging, the file
// system or the rest of the repository.
//
// The order holds for the tests too (go list -test): a test of spec/...
// imports nothing else from the repository, and a test of the suite or the
// evidence tools no part of the reference HSM. The boundary's allow-list
// is checked on the code built into the device, without its tests.
//
// The package holds only its test; run it with go test ./internal/depstest.
package depstest
