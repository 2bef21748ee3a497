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
// The package holds only its test; run it with go test ./internal/depstest.
package depstest
