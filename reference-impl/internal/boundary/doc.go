// Package boundary is the reference HSM's security boundary: the only code
// of the device that touches secret material, in the way Go's
// crypto/internal/fips140/... tree is the Go FIPS module.
//
// The device core (outside) talks to a [Module] and sees only handles,
// public keys (DER SPKI), masked-key blobs, signatures, ciphertexts, MACs,
// certificates and signed reports. Even the session channel keys stay
// inside: the core gets an opaque [*ChannelKeys] whose methods seal and open
// channel messages. The subpackages are:
//
//   - secret: the secret byte container;
//   - keys: the per-partition key store and usage policy;
//   - masking: the masked-key blob format v1;
//   - keywrap, kdf: AES-KWP, SP 800-108 KBKDF and the credential schedule;
//   - selftest: the KAT/PCT registry;
//   - identity: device certificates, credential-key signatures, COSE reports;
//   - vault: the encrypted device state over an injected [Store].
//
// An import allow-list test keeps net, os, os/exec, logging and every other
// package of this repository out of the boundary.
//
// # Device and partition state
//
// [Open] runs the power-on self-tests before anything else; a failure
// leaves the module in [StateError], where only state queries and
// zeroization work. Any later self-test or pairwise-consistency failure also
// enters StateError, which lasts until the module is opened again (power
// cycle). [Module.ZeroizeAll] wipes every key and secret, persistently, and
// enters [StateTampered] or [StateZeroized], which survive every restart. It
// works in StateError too: the persistent state is destroyed without any
// algorithm, the fuse secret that every vault key derives from first, so no
// copy of the old state can be decrypted (package vault, "Erasure and
// destruction", and its "Limits": no rollback protection).
//
// Go cannot guarantee zeroization: the garbage collector may have copied
// memory, and the standard library's key types (ECDSA, RSA, ECDH, ML-KEM,
// AES key schedules) keep their private values in internal state that has
// no clear method. The boundary clears what it owns (secret.Bytes, raw key
// bytes, seeds, PINs, derived channel keys) and drops every reference to
// the rest, which the collector then frees.
//
// Each [Partition] is unprovisioned until EstablishCredential, provisioned
// after it, and locked out while a PIN backoff runs. PIN checks are counted
// before the PIN is compared, and the counter is persisted first, so a crash
// cannot buy an attacker extra guesses: after 5 consecutive failures the
// partition locks for 1 s, doubling per further failure up to 1024 s, and
// while locked no PIN is compared.
//
// # Credential and channel cryptography
//
// [Partition.CredentialKey] returns the partition's static P-384 credential
// key, a single-use 32-byte nonce, and the attestation key's signature over
// "OpenIHSM-v1 credential-key" || public_key || nonce. The next
// EstablishCredential, OpenSession or ReopenSession consumes the nonce and
// derives (kdf.Credential)
//
//	Z = ECDH-P384(credential key, client_public)
//	OKM = HKDF-SHA384(IKM = Z, salt = nonce, info = label || client_public || device_public, L = 96)
//	k_pin = OKM[0:32], k_c2d = OKM[32:64], k_d2c = OKM[64:96]
//
// with label "OpenIHSM-v1 establish" or "OpenIHSM-v1 session"; the PIN
// arrives as AES-256-GCM(k_pin, nonce 0^96, PIN, aad = opcode as 2 bytes BE).
// Channel messages are AES-256-GCM under k_c2d (requests, nonce
// 0x00000001 || sequence as 8 bytes BE) and k_d2c (responses, nonce prefix
// 0x00000002), with the header bytes as AAD.
//
// # Concurrency
//
// Everything is safe for concurrent use. Crypto operations take no module
// or partition lock: the device state is an atomic, sessions are found
// under a read lock, and each key has its own lock (package keys).
package boundary
