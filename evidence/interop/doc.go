// Package interop proves, against the real cosign v2 CLI, that the evidence
// tools and cosign accept each other's keys and attestations. It holds only
// a test, guarded by OPENIHSM_INTEROP=1 because it builds cosign from the Go
// module proxy (several minutes and a large module download):
//
//	make interop   (OPENIHSM_INTEROP=1 go test -v -timeout 30m ./evidence/interop)
//
// OPENIHSM_COSIGN_VERSION overrides the cosign release (default v2.6.5).
// cosign is never a dependency of this module: `go install module@version`
// builds it outside the module, in a temporary GOBIN.
//
// Directions checked:
//   - cosign verify-blob-attestation --key ours.pub --insecure-ignore-tlog
//     --type <predicate> --signature <our envelope> BLOB, with no other
//     flag, accepts our P-384 attestation, and rejects it after a one-bit
//     change of its signature or payload, or for another blob;
//   - the same command accepts every attestation of a real evidence
//     directory of the reference HSM firmware (release.Produce) for its
//     binary, and, for a blob over cosign's 128 MiB default read limit,
//     with COSIGN_MAX_ATTACHMENT_SIZE set or with --digest in place of the
//     blob;
//   - cosign attest-blob --key cosign.key --tlog-upload=false --statement S
//     produces an envelope our verifier accepts with cosign.pub (P-256,
//     SHA-256), and one signed with our P-384 key file (cosign reads our
//     encrypted key format) that our verifier accepts too;
//   - our key loader opens cosign's encrypted private key.
package interop
