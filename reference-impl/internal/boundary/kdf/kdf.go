package kdf

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
)

// ErrLength reports a requested output length the KDF cannot produce.
var ErrLength = errors.New("kdf: invalid output length")

// CounterHMAC returns length bytes of SP 800-108r1 §4.1 counter-mode KDF
// output with PRF = HMAC(h), key derivation key key, and fixed input data
// formatted as SP 800-108r1 §4 recommends:
//
//	K(i) = HMAC(key, [i]_32 || Label || 0x00 || Context || [L]_32)
//
// where i counts from 1, [x]_32 is the 32-bit big-endian encoding, and L is
// the output length in bits. The counter precedes the fixed input data
// (NIST CAVP "BEFORE_FIXED", r = 32).
func CounterHMAC(h func() hash.Hash, key, label, context []byte, length int) ([]byte, error) {
	if length <= 0 || uint64(length)*8 > math.MaxUint32 {
		return nil, ErrLength
	}
	mac := hmac.New(h, key)
	n := (length + mac.Size() - 1) / mac.Size()
	out := make([]byte, 0, n*mac.Size())
	var ctr, bits [4]byte
	binary.BigEndian.PutUint32(bits[:], uint32(length)*8)
	for i := 1; i <= n; i++ {
		binary.BigEndian.PutUint32(ctr[:], uint32(i))
		mac.Reset()
		mac.Write(ctr[:])
		mac.Write(label)
		mac.Write([]byte{0x00})
		mac.Write(context)
		mac.Write(bits[:])
		out = mac.Sum(out)
	}
	clear(out[length:])
	return out[:length], nil
}

// Protocol labels of the credential key schedule (OpenIHSM protocol,
// "Partition credential and sessions").
const (
	LabelEstablish = "OpenIHSM-v1 establish"
	LabelSession   = "OpenIHSM-v1 session"
)

// PBKDF2 derives keyLen bytes from password with PBKDF2 (RFC 8018 §5.2,
// SP 800-132) and PRF = HMAC(h). It takes the password as bytes, so the
// caller can clear its PIN after the call: crypto/pbkdf2.Key takes a
// string, an immutable copy of the PIN that nothing can clear. The
// output is checked against crypto/pbkdf2 and Wycheproof in the tests.
func PBKDF2(h func() hash.Hash, password, salt []byte, iter, keyLen int) ([]byte, error) {
	if iter < 1 || keyLen <= 0 || keyLen > 1<<20 {
		return nil, ErrLength
	}
	prf := hmac.New(h, password)
	hLen := prf.Size()
	n := (keyLen + hLen - 1) / hLen
	dk := make([]byte, 0, n*hLen)
	u := make([]byte, 0, hLen)
	var ctr [4]byte
	for i := 1; i <= n; i++ {
		// T_i = U_1 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_{j-1}).
		binary.BigEndian.PutUint32(ctr[:], uint32(i))
		prf.Reset()
		prf.Write(salt)
		prf.Write(ctr[:])
		dk = prf.Sum(dk)
		t := dk[len(dk)-hLen:]
		u = append(u[:0], t...)
		for range iter - 1 {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			subtle.XORBytes(t, t, u)
		}
	}
	clear(u)
	clear(dk[keyLen:])
	return dk[:keyLen], nil
}

// CredentialKeys are the three 32-byte keys of the credential key schedule
// (k_pin, k_c2d, k_d2c). Like secret.Bytes, they cannot be compared with ==,
// print as [REDACTED] in every fmt verb (also as a value), and marshal to
// nothing (no exported field).
type CredentialKeys struct {
	_   [0]func()
	okm []byte // k_pin || k_c2d || k_d2c
}

// PIN returns k_pin, which seals the PIN (AES-256-GCM, zero nonce, single
// use). The slice aliases the keys: use it for one call and never keep it.
func (k *CredentialKeys) PIN() []byte { return k.okm[0:32:32] }

// Channel returns k_c2d and k_d2c, the channel keys, aliasing the keys like
// PIN.
func (k *CredentialKeys) Channel() (c2d, d2c *[32]byte) {
	return (*[32]byte)(k.okm[32:64]), (*[32]byte)(k.okm[64:96])
}

// Clear overwrites the keys with zeros.
func (k *CredentialKeys) Clear() { clear(k.okm) }

// String returns "[REDACTED]".
func (CredentialKeys) String() string { return "[REDACTED]" }

// GoString returns "[REDACTED]".
func (CredentialKeys) GoString() string { return "[REDACTED]" }

// Format prints "[REDACTED]" for every verb.
func (CredentialKeys) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[REDACTED]")) }

// Credential runs the OpenIHSM credential key schedule:
//
//	OKM = HKDF-SHA384(IKM = z, salt = nonce,
//	                  info = label || clientPublic || devicePublic, L = 96)
//	k_pin = OKM[0:32], k_c2d = OKM[32:64], k_d2c = OKM[64:96]
//
// z is the ECDH P-384 shared secret (the 48-byte x-coordinate, SEC 1 §3.3.1);
// both public keys are SEC 1 uncompressed points (97 bytes).
func Credential(z, nonce []byte, label string, clientPublic, devicePublic []byte) (*CredentialKeys, error) {
	info := make([]byte, 0, len(label)+len(clientPublic)+len(devicePublic))
	info = append(info, label...)
	info = append(info, clientPublic...)
	info = append(info, devicePublic...)
	okm, err := hkdf.Key(sha512.New384, z, nonce, string(info), 96)
	if err != nil {
		return nil, err
	}
	return &CredentialKeys{okm: okm}, nil
}
