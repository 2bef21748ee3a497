package kdf

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"errors"
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

// CredentialKeys are the three 32-byte keys of the credential key schedule.
type CredentialKeys struct {
	PIN [32]byte // seals the PIN (AES-256-GCM, zero nonce, single use)
	C2D [32]byte // client-to-device channel key
	D2C [32]byte // device-to-client channel key
}

// Clear overwrites the keys.
func (k *CredentialKeys) Clear() {
	clear(k.PIN[:])
	clear(k.C2D[:])
	clear(k.D2C[:])
}

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
	k := new(CredentialKeys)
	copy(k.PIN[:], okm[0:32])
	copy(k.C2D[:], okm[32:64])
	copy(k.D2C[:], okm[64:96])
	clear(okm)
	return k, nil
}
