package steps

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"testing"
)

func TestAlterSavedBytes(t *testing.T) {
	s := newScenario(nil, "t", nil)
	s.saved["b"] = []byte{1, 2, 3, 4}
	if err := s.alterByte("-1", "b", "c", func(x byte) byte { return x ^ 1 }); err != nil {
		t.Fatal(err)
	}
	if err := s.alterByte("1", "b", "d", func(byte) byte { return 9 }); err != nil {
		t.Fatal(err)
	}
	if err := s.truncate("b", "2", "e"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"b": {1, 2, 3, 4}, "c": {1, 2, 3, 5}, "d": {1, 9, 3, 4}, "e": {1, 2}} {
		if got, _ := s.saved[name].([]byte); !bytes.Equal(got, want) {
			t.Errorf("@%s = %x, want %x", name, got, want)
		}
	}
	for _, at := range []string{"4", "-5"} {
		if err := s.alterByte(at, "b", "x", func(x byte) byte { return x }); err == nil {
			t.Errorf("byte %s of a 4-byte value was altered", at)
		}
	}
	if err := s.truncate("b", "5", "x"); err == nil {
		t.Error("a 4-byte value was truncated to 5 bytes")
	}
	if err := s.truncate("nothing", "1", "x"); err == nil {
		t.Error("an unsaved value was truncated")
	}
}

// TestKeyMaterial checks the UnwrapKey encodings of the suite's own key
// material: raw bytes of the kind's length for symmetric keys, PKCS#8
// with the matching public key for key pairs.
func TestKeyMaterial(t *testing.T) {
	for kind, n := range map[string]int{"Aes128": 16, "Aes256": 32, "HmacSha384": 48} {
		m, pub, err := keyMaterial(kind)
		if err != nil || len(m) != n || pub != nil {
			t.Errorf("%s: %d bytes, public %x, %v", kind, len(m), pub, err)
		}
	}
	for _, kind := range []string{"EccP256", "EccP521", "Ed25519", "Rsa2048"} {
		m, pub, err := keyMaterial(kind)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		k, err := x509.ParsePKCS8PrivateKey(m)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		want, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
		if err != nil || !bytes.Equal(want, pub) {
			t.Errorf("%s: the public key does not match the private key (%v)", kind, err)
		}
	}
	if _, _, err := keyMaterial("Secret256"); err == nil {
		t.Error("material made for a Secret kind")
	}
}
