// Package build builds a Go command reproducibly and checks that it did: the
// command is built twice, into two different temporary directories (the
// second time optionally with an empty build cache), and the two binaries'
// sha256/sha384/sha512 are compared.
//
// The build uses the settings reproducible-builds.org and the Go project
// recommend for bit-for-bit identical output: -trimpath (no local paths),
// CGO_ENABLED=0 (no host C toolchain), -ldflags=-buildid= (no build id
// derived from the action graph), GOFLAGS cleared (no ambient flags),
// GOTOOLCHAIN=local (the toolchain in hand, never a downloaded one) and
// SOURCE_DATE_EPOCH set (Go itself records no time, but the evidence built
// around the binary takes its times from it).
//
// Version-control stamping is kept when the source is a git work tree
// (-buildvcs=true): vcs.revision, vcs.time and vcs.modified then travel in
// the binary's build information, so the SBOM and provenance derived from
// the binary name the exact commit, and a dirty tree is visible in the
// binary itself. Outside a work tree -buildvcs=false is used.
package build
