package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

// hkdfSHA384 is RFC 5869 written out with HMAC, as an independent check of
// the crypto/hkdf call in DeriveCredentialKeys.
func hkdfSHA384(ikm, salt, info []byte, n int) []byte {
	ext := hmac.New(sha512.New384, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	var okm, t []byte
	for i := byte(1); len(okm) < n; i++ {
		m := hmac.New(sha512.New384, prk)
		m.Write(t)
		m.Write(info)
		m.Write([]byte{i})
		t = m.Sum(nil)
		okm = append(okm, t...)
	}
	return okm[:n]
}

func TestCredentialKnownAnswer(t *testing.T) {
	z, nonce := pattern(0x01, 48), pattern(0x80, 32)
	clientPub, devicePub := append([]byte{4}, pattern(0x10, 96)...), append([]byte{4}, pattern(0x70, 96)...)
	type row struct {
		Label     string `json:"label"`
		KPin      string `json:"k_pin_hex"`
		KC2D      string `json:"k_c2d_hex"`
		KD2C      string `json:"k_d2c_hex"`
		Opcode    uint16 `json:"opcode"`
		PIN       string `json:"pin"`
		SealedPIN string `json:"sealed_pin_hex"`
	}
	var got []row
	for _, tc := range []struct {
		label  string
		opcode uint16
	}{{LabelEstablish, 0x0202}, {LabelSession, 0x0301}} {
		kPin, kC2D, kD2C, err := DeriveCredentialKeys(z, nonce, clientPub, devicePub, tc.label)
		if err != nil {
			t.Fatal(err)
		}
		info := append(append([]byte(tc.label), clientPub...), devicePub...)
		okm := hkdfSHA384(z, nonce, info, 96)
		if !bytes.Equal(kPin, okm[:32]) || !bytes.Equal(kC2D, okm[32:64]) || !bytes.Equal(kD2C, okm[64:]) {
			t.Fatalf("%s: keys differ from RFC 5869 HKDF-SHA384", tc.label)
		}
		pin := []byte("12345678")
		sealed, err := SealPIN(kPin, tc.opcode, pin)
		if err != nil {
			t.Fatal(err)
		}
		back, err := OpenPIN(kPin, tc.opcode, sealed)
		if err != nil || !bytes.Equal(back, pin) {
			t.Fatalf("OpenPIN = %q, %v", back, err)
		}
		if _, err := OpenPIN(kPin, tc.opcode+1, sealed); !errors.Is(err, rc.CredentialDecryptFailed) {
			t.Errorf("PIN opened for another opcode: %v", err)
		}
		if _, err := OpenPIN(kC2D, tc.opcode, sealed); !errors.Is(err, rc.CredentialDecryptFailed) {
			t.Errorf("PIN opened under another key: %v", err)
		}
		got = append(got, row{tc.label, hex.EncodeToString(kPin), hex.EncodeToString(kC2D), hex.EncodeToString(kD2C), tc.opcode, string(pin), hex.EncodeToString(sealed)})
	}
	golden(t, "credential.json", got)
}

func TestSealPINPolicy(t *testing.T) {
	k := pattern(0, 32)
	for _, n := range []int{0, MinPINLen - 1, MaxPINLen + 1} {
		if _, err := SealPIN(k, 0x0301, make([]byte, n)); !errors.Is(err, rc.PinPolicyViolation) {
			t.Errorf("PIN of %d bytes: %v", n, err)
		}
	}
	if _, err := SealPIN(k[:16], 0x0301, make([]byte, 8)); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("short k_pin: %v", err)
	}
	if _, _, _, err := DeriveCredentialKeys(nil, []byte{1}, []byte{1}, []byte{1}, LabelSession); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("empty z: %v", err)
	}
}

func TestCredentialKeyMessage(t *testing.T) {
	pub, nonce := []byte{4, 1, 2}, []byte{9, 9}
	want := append(append([]byte("OpenIHSM-v1 credential-key"), pub...), nonce...)
	if got := CredentialKeyMessage(pub, nonce); !bytes.Equal(got, want) {
		t.Fatalf("CredentialKeyMessage = %q, want %q", got, want)
	}
}
