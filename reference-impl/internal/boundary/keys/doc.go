// Package keys is the reference HSM's per-partition key store: it creates,
// holds, uses and destroys application keys, and enforces the key usage
// policy of the OpenIHSM spec (types.yaml KeyKind, KeyUsage, Algorithm,
// HashAlgorithm; the numeric values of [Kind], [Usage], [Algorithm] and
// [Hash] are the spec's, so the device core maps them by identity).
//
// # Handles, tags, sessions, limits
//
// A key is named by a handle: a random-looking non-zero uint32 that the
// store never issues twice during its lifetime. A key may carry a tag (a
// non-zero uint16, unique within the partition, [ErrKeyTagExists]) and a
// label of at most 64 bytes. A key with the SessionOnly usage bit belongs to
// the session that created it: other sessions cannot see it
// ([ErrKeyNotFound]) and [Store.DestroySession] destroys it when that
// session closes. A store holds at most its configured number of keys
// ([ErrKeyLimitReached]).
//
// # Usage policy
//
// A key is created with the usage bits its kind permits (table below;
// asking for any other bit is [ErrUsageNotPermitted]). Every operation then
// checks, in this order: the key exists for the caller ([ErrKeyNotFound]),
// the algorithm is one the store implements ([ErrUnsupportedAlgorithm]),
// the algorithm fits the key kind ([ErrAlgorithmMismatch]), the key has the
// usage bit the operation needs ([ErrUsageNotPermitted]), then the lengths
// of the inputs ([ErrDigestMismatch], [ErrInvalidLength]).
//
//	kind                 permitted usage             operations (usage bit)
//	EccP256/384/521      Sign Verify Derive          Sign, Verify (ECDSA); EcdhDerive (Derive)
//	Rsa2048/3072/4096    Sign Verify Encrypt Decrypt Sign, Verify (PSS, PKCS#1 v1.5); Encrypt, Decrypt (OAEP)
//	Aes128/192/256       Encrypt Decrypt Wrap Unwrap Encrypt, Decrypt (GCM, CBC); Encrypt (KWP, Wrap); Decrypt (KWP, Unwrap)
//	HmacSha256/384/512   Sign Verify Derive          Hmac (Sign); HkdfDerive, KbkdfDerive (Derive)
//	Ed25519, MlDsa65     Sign Verify                 Sign, Verify
//	MlKem768             Derive                      Encapsulate, Decapsulate (Derive)
//	Secret256/384/521    Derive                      HkdfDerive, KbkdfDerive (Derive)
//
// SessionOnly may be combined with any kind.
//
// # Algorithms
//
// ECDSA and RSA sign a caller-supplied digest whose length must equal the
// algorithm's hash ([ErrDigestMismatch]); ECDSA signatures are ASN.1 DER
// (SEC 1 §C.5 Ecdsa-Sig-Value), so OpenSSL verifies them directly. RSA-PSS
// uses MGF1 with the same hash and a salt as long as the hash (RFC 8017
// §9.1). Ed25519 (RFC 8032) and ML-DSA-65 (FIPS 204, hedged, empty context)
// sign the message itself. AES-GCM (SP 800-38D) uses a 12-byte IV the store
// generates when the caller gives none and appends the 16-byte tag; AES-CBC
// (SP 800-38A) pads with PKCS#7 and uses a 16-byte IV; AES-KWP is RFC 5649;
// RSA-OAEP (RFC 8017 §7.1) uses MGF1 with the same hash and takes the AAD,
// if any, as its label. Messages are limited to [MaxMessage] bytes.
//
// # Key material encoding
//
// [Store.Material] and [Store.Restore] move a key in and out of the masked
// form. The plaintext is one origin byte (1 generated or derived on the
// device, 2 imported) followed by the key material:
//
//	EccP256/384/521, Rsa*, Ed25519   PKCS#8 PrivateKeyInfo, DER (RFC 5208, RFC 8410)
//	MlDsa65                           the 32-byte seed ξ (FIPS 204 §6.1)
//	MlKem768                          the 64-byte seed d || z (FIPS 203 §7.1)
//	Aes*, HmacSha*, Secret*           the raw key bytes
//
// [UnwrapMaterial] accepts the same encodings without the origin byte, except
// that ML-DSA-65 and ML-KEM-768 private keys arrive as PKCS#8 in the seed
// form of the IETF LAMPS ML-DSA and ML-KEM certificate profiles.
//
// # Clearing key material
//
// A destroyed key, and material that never became a key, has its Ed25519
// private key bytes and symmetric key bytes overwritten with zeros, and
// every reference dropped. The ECDSA, RSA and ML-KEM keys of the standard
// library, circl's ML-DSA keys and the cached AES key schedules keep their
// private values in internal state that has no clear method; for them
// dropping the references is all Go allows, and Go cannot guarantee that
// the garbage collector has not copied memory. Key structures cannot be
// compared with ==, print as [REDACTED] and have no exported field to
// marshal.
//
// # Concurrency and performance
//
// A Store is safe for concurrent use. Key lookup takes a read lock on the
// handle map; each key then has its own lock, held for reading during an
// operation and for writing only when the key is destroyed, so operations on
// different keys never contend. The expanded AES key schedule and GCM state
// are built once per key, and HMAC state is pooled per key, so the hot path
// allocates only its output.
package keys
