// Package release produces the signed evidence of one release of the
// reference HSM binary and verifies it offline.
//
// Produce builds the binary reproducibly (package build), derives its SPDX
// SBOM (package sbom), and signs, as DSSE envelopes over in-toto Statements
// whose subject is the binary (packages dsse and intoto): SLSA provenance v1
// naming the SBOM among its byproducts, the SBOM itself, and test results
// (test-result v0.1) for the reproducibility check, the conformance run and
// the unit tests. The build step is also recorded as an in-toto link. A
// manifest, evidence.json, lists every file with its digests and is signed
// too (evidence.dsse.json): in-toto bundles are not authenticated as a whole
// (in-toto attestation spec v1 bundle.md), and the signed manifest is what
// makes a deleted or swapped attestation visible.
//
// Produce refuses what it cannot bind to the binary it builds: a second
// build that differs, a work tree with uncommitted changes (unless allowed,
// and then recorded), a conformance report whose attested firmware
// measurement is not the binary's SHA-384 or whose transcript's hash chain
// is not the one the report names, and unit-test results that leave out a
// package the binary is built from.
//
// Verify needs no network. A trust file pins the producer keys and the
// OCP SAFE short-form report signer keys with thresholds, and names the
// predicates and test suites a release must carry. Verify checks every
// signature, recomputes every digest from the files, and cross-checks the
// chain: the commit and modified flag the binary records are the manifest's
// and the provenance's; the SBOM's described package, the provenance
// subject and (when a short-form report is present) the report's firmware
// digests are all the binary, and the report's repo_tag is the source
// commit; the SBOM's digest is among the provenance byproducts; the build
// link is signed and names the binary as its product; every required test
// result is PASSED for this binary, the conformance report and transcript
// it names are a run against this binary, and the unit-test results cover
// every package the build link compiled; the build reproduced. It stops at
// the first broken link and names it (LinkError), and writes a SLSA
// verification summary (VSA v1), a human report and the checks as JSON.
//
// VerifyDevice then asks a running device for a fresh attestation and
// checks that the firmware it measures is the verified binary.
package release
