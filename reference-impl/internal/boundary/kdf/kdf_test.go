package kdf

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"testing"
)

// TestCounterHMACMatchesDefinition recomputes SP 800-108r1 §4.1 block by
// block with crypto/hmac for several lengths that are and are not multiples
// of the PRF output.
func TestCounterHMACMatchesDefinition(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	label, ctx := []byte("label"), []byte("context")
	for _, length := range []int{1, 16, 32, 33, 64, 100} {
		got, err := CounterHMAC(sha256.New, key, label, ctx, length)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for i := byte(1); len(want) < length; i++ {
			m := hmac.New(sha256.New, key)
			m.Write([]byte{0, 0, 0, i})
			m.Write(label)
			m.Write([]byte{0})
			m.Write(ctx)
			l := uint32(length * 8)
			m.Write([]byte{byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)})
			want = m.Sum(want)
		}
		if !bytes.Equal(got, want[:length]) {
			t.Errorf("length %d: %x, want %x", length, got, want[:length])
		}
	}
	if _, err := CounterHMAC(sha256.New, key, nil, nil, 0); err != ErrLength {
		t.Fatalf("zero length: %v", err)
	}
}

// TestCredentialKAT pins the credential key schedule to fixed bytes, so a
// client implementation can compare against the same values.
func TestCredentialKAT(t *testing.T) {
	z := bytes.Repeat([]byte{0x11}, 48)
	nonce := bytes.Repeat([]byte{0x22}, 32)
	cp := append([]byte{4}, bytes.Repeat([]byte{0x33}, 96)...)
	dp := append([]byte{4}, bytes.Repeat([]byte{0x44}, 96)...)
	k, err := Credential(z, nonce, LabelSession, cp, dp)
	if err != nil {
		t.Fatal(err)
	}
	info := append(append([]byte(LabelSession), cp...), dp...)
	okm, _ := hkdf.Key(sha512.New384, z, nonce, string(info), 96)
	c2d, d2c := k.Channel()
	if !bytes.Equal(k.PIN(), okm[:32]) || !bytes.Equal(c2d[:], okm[32:64]) || !bytes.Equal(d2c[:], okm[64:]) {
		t.Fatal("split of OKM wrong")
	}
	const want = credentialKATSession
	if got := hex.EncodeToString(okm); got != want {
		t.Fatalf("OKM = %s\nwant %s", got, want)
	}
	k.Clear()
	if !bytes.Equal(k.PIN(), make([]byte, 32)) {
		t.Fatal("Clear")
	}
}

// TestCredentialWithECDH checks that both sides of a real P-384 exchange
// derive the same keys.
func TestCredentialWithECDH(t *testing.T) {
	dev, _ := ecdh.P384().GenerateKey(nil)
	cli, _ := ecdh.P384().GenerateKey(nil)
	z1, _ := dev.ECDH(cli.PublicKey())
	z2, _ := cli.ECDH(dev.PublicKey())
	n := make([]byte, 32)
	a, _ := Credential(z1, n, LabelEstablish, cli.PublicKey().Bytes(), dev.PublicKey().Bytes())
	b, _ := Credential(z2, n, LabelEstablish, cli.PublicKey().Bytes(), dev.PublicKey().Bytes())
	ac, ad := a.Channel()
	bc, bd := b.Channel()
	if !bytes.Equal(a.PIN(), b.PIN()) || *ac != *bc || *ad != *bd {
		t.Fatal("sides disagree")
	}
}
