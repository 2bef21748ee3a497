package client

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// kwpICV2 is the alternative initial value of KWP (SP 800-38F §6.3, "ICV2";
// RFC 5649 §3 calls it the Alternative Initial Value).
var kwpICV2 = [4]byte{0xA6, 0x59, 0x59, 0xA6}

// errKWP is returned for every unwrap failure so a caller learns nothing about
// which check failed (SP 800-38F §6.3 KWP-AD returns a single FAIL).
var errKWP = errors.New("kwp: unwrap failed")

// kwpWrap wraps plaintext under kek with AES Key Wrap with Padding
// (SP 800-38F §6.3 KWP-AE; RFC 5649 §4.1). The plaintext must be 1 to 2^32-1
// bytes; the result is 8 bytes longer than the plaintext padded to a multiple
// of 8.
func kwpWrap(kek, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(plaintext) == 0 || uint64(len(plaintext)) > 0xFFFFFFFF {
		return nil, errors.New("kwp: plaintext length out of range")
	}
	padded := (len(plaintext) + 7) &^ 7
	out := make([]byte, 8+padded)
	copy(out[:4], kwpICV2[:])
	binary.BigEndian.PutUint32(out[4:8], uint32(len(plaintext)))
	copy(out[8:], plaintext) // the padding bytes stay zero (SP 800-38F §6.3 step 3)
	if padded == 8 {
		// A single semiblock of plaintext is enciphered directly with the
		// block cipher (SP 800-38F §6.3 KWP-AE step 4).
		block.Encrypt(out, out)
		return out, nil
	}
	kwWrap(block, out)
	return out, nil
}

// kwpUnwrap reverses kwpWrap (SP 800-38F §6.3 KWP-AD; RFC 5649 §4.2),
// checking the integrity value, the message length indicator and the zero
// padding.
func kwpUnwrap(kek, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < 16 || len(ciphertext)%8 != 0 {
		return nil, errKWP
	}
	buf := make([]byte, len(ciphertext))
	copy(buf, ciphertext)
	if len(buf) == 16 {
		block.Decrypt(buf, buf)
	} else {
		kwUnwrap(block, buf)
	}
	n := len(buf) - 8 // bytes of padded plaintext
	mli := binary.BigEndian.Uint32(buf[4:8])
	ok := subtle.ConstantTimeCompare(buf[:4], kwpICV2[:])
	// The length indicator must fall in the last semiblock (RFC 5649 §3).
	if uint64(mli) > uint64(n) || uint64(mli)+8 <= uint64(n) {
		ok = 0
	}
	if ok == 0 {
		return nil, errKWP
	}
	var pad byte
	for _, b := range buf[8+mli:] {
		pad |= b
	}
	if pad != 0 {
		return nil, errKWP
	}
	return buf[8 : 8+mli], nil
}

// kwWrap is the wrapping function W of SP 800-38F §6.1 (RFC 3394 §2.2.1)
// applied in place to buf = A || R[1] || ... || R[n], n >= 2.
func kwWrap(block cipher.Block, buf []byte) {
	n := len(buf)/8 - 1
	var b [16]byte
	copy(b[:8], buf[:8])
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(b[8:], buf[8*i:8*i+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(buf[8*i:8*i+8], b[8:])
		}
	}
	copy(buf[:8], b[:8])
}

// kwUnwrap is the unwrapping function W^-1 of SP 800-38F §6.1 (RFC 3394
// §2.2.2) applied in place to buf = C[0] || ... || C[n], n >= 2.
func kwUnwrap(block cipher.Block, buf []byte) {
	n := len(buf)/8 - 1
	var b [16]byte
	copy(b[:8], buf[:8])
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(b[8:], buf[8*i:8*i+8])
			block.Decrypt(b[:], b[:])
			copy(buf[8*i:8*i+8], b[8:])
		}
	}
	copy(buf[:8], b[:8])
}
