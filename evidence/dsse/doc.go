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
// Signatures are ASN.1 DER ECDSA over the hash matching the curve (see
// package keys), which is what cosign produces and expects
// (`cosign verify-blob-attestation --signature-digest-algorithm` must name
// that hash for keys other than P-256). The keyid is the SHA-256 of the
// signer's SubjectPublicKeyInfo; DSSE does not authenticate keyids, so a
// verifier uses them only to pick a key and accepts signatures without one
// (cosign writes an empty keyid).
package dsse
