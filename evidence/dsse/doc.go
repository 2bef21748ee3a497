// Package dsse signs and verifies DSSE v1 envelopes
// (https://github.com/secure-systems-lab/dsse, envelope.md and protocol.md)
// with ECDSA keys, in the form cosign writes and reads them:
//
//	{"payloadType": "...", "payload": "<base64>", "signatures": [{"keyid": "", "sig": "<base64>"}]}
//
// The signature is ECDSA over PAE(payloadType, payload) (DSSE protocol.md
// "Signature definition"), ASN.1 DER encoded (SEC 1 §C.5 / RFC 3279 §2.2.3).
//
// Hash choice. Sign hashes the PAE with SHA-256 on every curve. That is what
// cosign v2 verifies against: `cosign verify-blob-attestation --key` loads the
// public key with sigstore's signature.LoadVerifier(pub, crypto.SHA256)
// (cosign pkg/signature/keys.go PublicKeyFromKeyRef), whatever the curve, and
// cosign cannot verify a P-384 signature made with SHA-384 on that path
// (sigstore/cosign#5091). cosign's own signer, loaded through
// signature.LoadDefaultSignerVerifier, uses the curve's conventional hash
// instead (SHA-384 for P-384, SHA-512 for P-521; sigstore
// GetDefaultPublicKeyDetails). Verify therefore accepts, for each key, either
// SHA-256 or the curve's conventional hash, so envelopes from `cosign
// attest-blob` with our key verify too. SignWithHash signs with another hash
// for consumers that pin the curve's hash.
//
// Key ids. cosign leaves "keyid" empty for key-based signing, and so does
// Sign; trust is pinned by the public keys handed to Verify, never by the key
// id in the envelope.
package dsse
