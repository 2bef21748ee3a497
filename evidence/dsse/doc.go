// Package dsse signs and verifies Dead Simple Signing Envelopes (DSSE v1.0,
// github.com/secure-systems-lab/dsse envelope.md and protocol.md) with the
// evidence tools' ECDSA keys.
//
// The envelope type, the pre-authentication encoding (PAE) and the
// threshold verification come from go-securesystemslib's dsse package; this
// package supplies signers and verifiers over crypto.Signer and pinned public
// keys and a strict envelope parser. The payload is signed exactly once, as
// bytes: verification hands back the signed bytes for the caller to parse,
// never a re-serialised value.
//
// Signatures are ASN.1 DER ECDSA over the SHA-256 of the PAE (SignHash),
// for every curve: that is what `cosign verify-blob-attestation --key
// KEY.pub --insecure-ignore-tlog` checks without further flags. Verify also
// accepts signatures over the curve's own hash (SHA-384 for P-384, SHA-512
// for P-521), which cosign attest-blob writes for such keys and checks with
// --signature-digest-algorithm. The keyid is the SHA-256 of the
// signer's SubjectPublicKeyInfo; DSSE does not authenticate keyids, so a
// verifier uses them only to pick a key and accepts signatures without one
// (cosign writes an empty keyid).
package dsse
