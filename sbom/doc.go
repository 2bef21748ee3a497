// Package sbom derives an SPDX 2.3 software bill of materials from a Go
// binary's own build information and checks such documents strictly.
//
// The source of truth is the build information the Go linker embeds in every
// module-aware binary (debug/buildinfo, the data `go version -m` prints): the
// main module, every module actually linked, replacements, the toolchain and
// the build settings. OCP SAFE review scope asks that dependencies be
// "recorded in an SBOM" and that the device version be reproducible from it;
// recording what was linked, rather than everything go.sum mentions, keeps the
// document an exact account of the binary.
//
// Each module becomes an SPDX package with a purl
// (pkg:golang/<module path>@<version>, purl-spec PURL-TYPES golang). Go's
// "h1:" sums are hashes of a module's file tree (golang.org/x/mod/sumdb/dirhash
// Hash1), not of any single file, so they are recorded as annotations named
// "go module h1 directory hash" and never as SPDX checksums (SPDX 2.3 §7.10
// defines package checksums as checksums of the package file).
//
// Output is deterministic: the same binary gives the same bytes. The document
// namespace is derived from the binary's SHA-256, the creation time comes from
// SOURCE_DATE_EPOCH (reproducible-builds.org) or the embedded vcs.time, and
// packages and relationships are sorted.
//
// Validate applies the project's own checks on top of the library's
// (unique SPDX ids, formats, relationship endpoints, the document describing
// its main package); ValidateJSON additionally checks the emitted JSON against
// the official SPDX 2.3 JSON schema embedded from schema/.
package sbom
