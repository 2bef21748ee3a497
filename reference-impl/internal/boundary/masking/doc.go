// Package masking reads and writes the masked-key blob, version 1, of the
// OpenIHSM spec: the only form in which an application key leaves the
// device. A blob is AES-256-GCM authenticated encryption of the key
// material under the partition masking key (scope 1) or the masking key of
// one session (scope 2); every header byte is authenticated as AAD.
//
// Layout (big-endian):
//
//	offset  size  field
//	0       4     magic "IHMK"
//	4       1     version = 1
//	5       1     aead = 1 (AES-256-GCM)
//	6       1     scope: 1 partition, 2 session
//	7       1     reserved = 0
//	8       16    partition_id
//	24      4     session_id (0 for partition scope)
//	28      4     key_kind (KeyKind)
//	32      4     usage (KeyUsage)
//	36      2     tag (0 = none)
//	38      2     label length L (≤ 64)
//	40      L     label
//	40+L    12    nonce
//	52+L    4     ciphertext length C
//	56+L    C     ciphertext
//	56+L+C  16    GCM tag
//
// AAD = bytes [0, 56+L). The plaintext is the key-material encoding of the
// keys package (an origin byte, then PKCS#8 DER for ECC, RSA and Ed25519
// private keys, the 32-byte seed for ML-DSA-65, the 64-byte seed for
// ML-KEM-768, raw bytes for AES, HMAC and secret kinds).
//
// [Open] checks in the fixed order of the spec (architecture/masked-key.yaml)
// and returns one distinct error per failure, each mapped by the device
// core to the status of the same name: structure ([ErrMalformed]: shorter
// than 72 bytes, bad magic, non-zero reserved byte, unknown scope, L above
// 64, 56+L+C+16 not the blob's length), then version and AEAD
// ([ErrVersionUnsupported]), then the partition and session binding
// ([ErrWrongPartition]), and last the GCM tag ([ErrTampered]), which also
// covers every header field the structure does not constrain. The nonce is
// random (SP 800-38D §8.2.2); at one masking per key creation the number of
// invocations under one masking key stays far below the 2^32 limit.
package masking
