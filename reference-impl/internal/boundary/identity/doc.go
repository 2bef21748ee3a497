// Package identity holds the reference HSM's device identity and makes its
// signed statements.
//
// # Keys and certificates
//
// At first start the device creates three ECDSA P-384 keys and a three-level
// X.509 chain (RFC 5280), returned root first by [Identity.Chain]:
//
//  1. a self-signed root CA ("OpenIHSM reference root CA"); a hardware vendor
//     would hold this key in its factory, the reference HSM makes it itself,
//     so trust in the root is the verifier's policy (pin it);
//  2. the device identity certificate (CA, path length 0), subject serial
//     number = the device serial;
//  3. the attestation key certificate (leaf, digitalSignature), subject
//     serial number = the device serial, carrying the firmware measurement
//     and firmware version in a TCG DICE TcbInfo extension.
//
// # Firmware measurement extension
//
// The measurement (SHA-384 of the running reference HSM binary) and the
// firmware version are carried in the standard TCG DICE TcbInfo extension,
// OID 2.23.133.5.4.1 (tcg-dice-TcbInfo, TCG "DICE Attestation Architecture"
// §6.1.1), non-critical, rather than under a private arc: any DICE-aware
// verifier can read it, and OpenIHSM needs no private enterprise number.
// The encoding is
//
//	DiceTcbInfo ::= SEQUENCE {
//	    vendor  [0] IMPLICIT UTF8String  -- "OpenIHSM"
//	    model   [1] IMPLICIT UTF8String  -- "reference-hsm"
//	    version [2] IMPLICIT UTF8String  -- firmware version
//	    fwids   [6] IMPLICIT SEQUENCE OF FWID }
//	FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER (id-sha384), digest OCTET STRING }
//
// When the device starts with a different measurement or version, [Load]
// re-issues the attestation key certificate (same key) so the chain always
// names the running build.
//
// # Signed statements
//
// [Identity.SignCredentialKey] signs "OpenIHSM-v1 credential-key" ||
// public_key || nonce with the attestation key (ECDSA P-384, SHA-384, ASN.1
// DER), as GetCredentialKey requires.
//
// Key and device attestation reports are tagged COSE_Sign1 messages (RFC
// 9052 §4.2) signed by the attestation key with ES384; the protected header
// holds alg (-35) and content type "application/cbor". The payload is a
// deterministically encoded CBOR map (RFC 8949 §4.2.1) with unsigned
// integer keys. Key attestation (AttestKey):
//
//	1 report type = 1 (key)      5 flags (uint, bits below)
//	2 public_key (DER SPKI;      6 report_data (bstr, ≤ 64)
//	  absent for symmetric keys) 7 partition_id (bstr, 16)
//	3 kind (KeyKind)             8 firmware_measurement (bstr, 48)
//	4 usage (KeyUsage)
//
// flags: 1 generated on the device, 2 imported, 4 session-only, 8
// persistent (exactly one of 1/2 and one of 4/8 is set). Device attestation
// (GetDeviceAttestation):
//
//	1 report type = 2 (device)   4 device_state (DeviceState)
//	2 firmware_measurement       5 report_data (bstr, ≤ 64)
//	3 firmware_version (tstr)    6 serial (tstr)
//
// # Verification
//
// Verification needs no secret: [VerifyChain], [VerifyKeyReport],
// [VerifyDeviceReport] and [VerifyCredentialKey] use only the certificate
// chain. They live here for now, beside the code that produces the
// statements, and import nothing secret; they can move out of the boundary
// unchanged.
package identity
