// Package intoto builds and parses the in-toto Statements (in-toto
// attestation framework v1, spec/v1/statement.md) that OpenIHSM signs for a
// release: SLSA provenance v1, the SPDX SBOM, test results (test-result
// v0.1) and the verifier's verification summary (SLSA VSA v1).
//
// Statements use the github.com/in-toto/attestation Go types and are
// serialised with protojson, the JSON mapping those protobuf types are
// defined for (their Go struct tags are snake_case and wrong for JSON).
// protojson deliberately does not promise byte-stable output across
// releases, so a Statement is marshalled exactly once, the bytes are signed
// as the DSSE payload, and verifiers parse those signed bytes; nothing is
// ever re-serialised and compared.
//
// Subjects carry sha256 (what cosign checks), sha384 and sha512 (what OCP
// SAFE Short Form Reports record) digests of the artifact.
package intoto
