// Package keys generates and stores the ECDSA keys that sign OpenIHSM
// evidence.
//
// Private keys are written in cosign's encrypted key format so that the same
// file works with `cosign attest-blob --key` and with `ihsm evidence`: a PEM
// block of type "ENCRYPTED SIGSTORE PRIVATE KEY" whose body is the JSON
// document produced by go-securesystemslib's encrypted.Encrypt (scrypt key
// derivation, NaCl secretbox) over the PKCS #8 DER of the key (RFC 5208). The
// legacy type "ENCRYPTED COSIGN PRIVATE KEY" is accepted when reading. cosign
// takes the password from the COSIGN_PASSWORD environment variable;
// PasswordFromEnv reads the same variable.
//
// Public keys are PEM "PUBLIC KEY" blocks holding a SubjectPublicKeyInfo
// (RFC 5280 §4.1.2.7), which is what `cosign generate-key-pair` writes to
// cosign.pub.
//
// The default curve is P-384 (CNSA 2.0 / CNSSP 15 class).
package keys
