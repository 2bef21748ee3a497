// Package keys generates and loads the signing keys of the evidence tools in
// the file formats cosign uses, so that the same key files work with
// `ihsm evidence` and with the cosign CLI.
//
// A private key is PKCS#8 DER (RFC 5958) encrypted with
// go-securesystemslib's "encrypted" scheme (scrypt key derivation, NaCl
// secretbox), PEM type "ENCRYPTED SIGSTORE PRIVATE KEY"; cosign also reads the
// older type "ENCRYPTED COSIGN PRIVATE KEY". The password comes from
// COSIGN_PASSWORD, as with cosign; an empty password is allowed. Plain PKCS#8
// "PRIVATE KEY" PEM is accepted on input. Public keys are PEM "PUBLIC KEY"
// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
//
// Keys are ECDSA. P-384 is the default (CNSA 1.0 and the curve class of the
// OCP SAFE reviewers' keys); P-256 and P-521 are supported. HashFor names
// each curve's matching hash (SHA-256, SHA-384, SHA-512), which sigstore's
// default signer picks for the curve; DSSE envelopes are signed over SHA-256
// for every curve (see package dsse) and accept either. ParseSigner also
// opens RSA keys in the encrypted format, for short-form report signing.
package keys
