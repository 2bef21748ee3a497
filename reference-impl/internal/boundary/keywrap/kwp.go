package keywrap

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math"
)

// ErrUnwrap reports that a KWP ciphertext failed authentication or is not a
// well-formed KWP ciphertext.
var ErrUnwrap = errors.New("keywrap: KWP unwrap failed")

// ErrLength reports a plaintext that KWP cannot wrap (empty or longer than
// 2^32-1 bytes, SP 800-38F §6.3).
var ErrLength = errors.New("keywrap: invalid KWP plaintext length")

// aiv is the alternative initial value prefix of RFC 5649 §3.
var aiv = [4]byte{0xA6, 0x59, 0x59, 0xA6}

// Wrap returns KWP-AE(K, plaintext) (SP 800-38F §6.3, Algorithm 5) under the
// AES block cipher b. The result is 8 bytes longer than the plaintext padded
// to a multiple of 8.
func Wrap(b cipher.Block, plaintext []byte) ([]byte, error) {
	if b.BlockSize() != aes.BlockSize {
		return nil, errors.New("keywrap: KWP requires a 128-bit block cipher")
	}
	if len(plaintext) == 0 || uint64(len(plaintext)) > math.MaxUint32 {
		return nil, ErrLength
	}
	padded := (len(plaintext) + 7) &^ 7
	out := make([]byte, 8+padded)
	copy(out[:4], aiv[:])
	binary.BigEndian.PutUint32(out[4:8], uint32(len(plaintext)))
	copy(out[8:], plaintext) // padding bytes stay zero (RFC 5649 §4.1)
	if padded == 8 {
		// RFC 5649 §4.1: a single 64-bit block is encrypted with AES in ECB mode.
		b.Encrypt(out, out)
		return out, nil
	}
	wrapW(b, out)
	return out, nil
}

// Unwrap returns KWP-AD(K, ciphertext) (SP 800-38F §6.3, Algorithm 6).
func Unwrap(b cipher.Block, ciphertext []byte) ([]byte, error) {
	if b.BlockSize() != aes.BlockSize {
		return nil, errors.New("keywrap: KWP requires a 128-bit block cipher")
	}
	if len(ciphertext) < 16 || len(ciphertext)%8 != 0 {
		return nil, ErrUnwrap
	}
	buf := append([]byte(nil), ciphertext...)
	if len(buf) == 16 {
		b.Decrypt(buf, buf)
	} else {
		unwrapW(b, buf)
	}
	n := len(buf)/8 - 1 // semiblocks of padded plaintext
	mli := binary.BigEndian.Uint32(buf[4:8])
	ok := subtle.ConstantTimeCompare(buf[:4], aiv[:])
	// RFC 5649 §3: 8·(n-1) < MLI ≤ 8·n.
	if uint64(mli) <= uint64(8*(n-1)) || uint64(mli) > uint64(8*n) {
		ok = 0
	}
	pad := 0
	if ok == 1 {
		pad = 8*n - int(mli)
	}
	var nz byte
	for _, c := range buf[8+8*n-pad:] {
		nz |= c
	}
	ok &= subtle.ConstantTimeByteEq(nz, 0)
	if ok != 1 {
		clear(buf)
		return nil, ErrUnwrap
	}
	pt := buf[8 : 8+int(mli)]
	clear(buf[8+int(mli):])
	return pt, nil
}

// wrapW is the wrapping function W of SP 800-38F §6.1 (RFC 3394 §2.2.1,
// index-based form) applied in place; s[0:8] is the initial value.
func wrapW(b cipher.Block, s []byte) {
	n := len(s)/8 - 1
	var blk [16]byte
	copy(blk[:8], s[:8])
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(blk[8:], s[8*i:8*i+8])
			b.Encrypt(blk[:], blk[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(blk[:8], binary.BigEndian.Uint64(blk[:8])^t)
			copy(s[8*i:8*i+8], blk[8:])
		}
	}
	copy(s[:8], blk[:8])
	clear(blk[:])
}

// unwrapW is the unwrapping function W⁻¹ of SP 800-38F §6.1 applied in place.
func unwrapW(b cipher.Block, s []byte) {
	n := len(s)/8 - 1
	var blk [16]byte
	copy(blk[:8], s[:8])
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(blk[:8], binary.BigEndian.Uint64(blk[:8])^t)
			copy(blk[8:], s[8*i:8*i+8])
			b.Decrypt(blk[:], blk[:])
			copy(s[8*i:8*i+8], blk[8:])
		}
	}
	copy(s[:8], blk[:8])
	clear(blk[:])
}
