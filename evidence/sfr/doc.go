// Package sfr creates, signs, verifies and lints OCP SAFE short-form
// reports (SFRs): the signed statement of a security review provider (SRP)
// that a firmware image, named by its SHA-384 and SHA-512 digests, was
// reviewed, and which issues remain unfixed in it.
//
// Two encodings are published in the OCP-Security-SAFE repository, and
// both are read and written here:
//
//   - The legacy JSON report (shortform_report-main/README.md), signed as a
//     compact JWS (RFC 7515) with ES384, ES512, PS384 or PS512 only.
//     EncodeJSON, ParseJSON, SignJWS, VerifyJWS.
//   - Since framework 2.0, a CoRIM (draft-ietf-rats-corim, CBOR tag 501)
//     with the OCP SAFE SFR profile and its measurement-values extension
//     -1 (Documentation/corim_profile/ocp-safe-sfr-profile.cddl), signed
//     with COSE (RFC 9052). EncodeCoRIM, ParseCoRIM, SignCOSE, VerifyCOSE.
//
// Verify tells the signed forms apart. Verification pins the algorithm by
// the key: a P-384 key verifies only ES384, a P-521 key only ES512, an RSA
// key of 3072 or 4096 bits only PS384 or PS512. A header naming another
// algorithm (none, HS256, ES512 for an RSA key) fails before any
// cryptography runs, and a COSE header that names no algorithm, or names it
// only unprotected, is verified with the key's. This is what the published
// Microsoft HSM reports need: they are COSE_Sign (tag 98) messages with
// empty protected headers and no alg at all. A COSE_Sign verifies when
// any one of its signatures verifies with the trusted key.
//
// No byte of a COSE message goes unchecked: the unprotected header, which
// no signature covers, may hold only alg and kid, a kid must be a byte
// string, and an unprotected kid must be the kid the key is pinned under
// (WithKeyID; the CLI pins the key file's name, as the OCP SAFE repository
// names reviewer keys after their kid). A one-bit change anywhere in a
// published report is therefore rejected, not merely harmless.
//
// Lint reports the inconsistencies found in published reports (a scope
// number sent as 1.0, "1" or under the older key "scope"; 0x-prefixed,
// uppercase, empty or wrongly sized digests; no repo_tag; CVSS scores that
// are out of range or disagree with their vector; dates that are not
// YYYY-MM-DD). It reads the report as decoded, before typing.
//
// CheckFirmware and CheckFirmwareFile recompute a firmware image's
// digests and compare them with a verified report: the consumer flow of
// the README ("Report Consumption"). Only what Verify returns is trusted;
// Parse decodes without verifying, for inspection and linting.
package sfr
