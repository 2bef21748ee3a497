package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"P-256", "P-384", "P-521", ""} {
		t.Run(name, func(t *testing.T) {
			c, err := CurveByName(name)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := Generate(c)
			if err != nil {
				t.Fatal(err)
			}
			pw := []byte("correct horse")
			enc, err := MarshalEncrypted(priv, pw)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := pem.Decode(enc)
			if b == nil || b.Type != EncryptedPEMType {
				t.Fatalf("PEM block %v", b)
			}
			got, err := ParsePrivateKey(enc, pw)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(priv) {
				t.Fatal("decrypted key differs")
			}
			pubPEM, err := MarshalPublicKeyPEM(priv.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeyPEM(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !priv.PublicKey.Equal(pub) {
				t.Fatal("public key differs")
			}
		})
	}
}

func TestDefaultCurve(t *testing.T) {
	priv, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if priv.Curve != elliptic.P384() {
		t.Fatalf("default curve %s", priv.Curve.Params().Name)
	}
	if _, err := CurveByName("P-224"); !errors.Is(err, ErrKeyType) {
		t.Fatalf("P-224: %v", err)
	}
	if _, err := Generate(elliptic.P224()); !errors.Is(err, ErrKeyType) {
		t.Fatalf("P-224: %v", err)
	}
}

func TestLegacyTypeAndPlainPKCS8(t *testing.T) {
	priv, _ := Generate(elliptic.P256())
	enc, err := MarshalEncrypted(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(enc)
	b.Type = LegacyEncryptedPEMType
	if got, err := ParsePrivateKey(pem.EncodeToMemory(b), nil); err != nil || !got.Equal(priv) {
		t.Fatalf("legacy type: %v", err)
	}
	plain, err := MarshalPKCS8PEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParsePrivateKey(plain, []byte("ignored")); err != nil || !got.Equal(priv) {
		t.Fatalf("plain PKCS #8: %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	priv, _ := Generate(nil)
	enc, err := MarshalEncrypted(priv, []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(enc, []byte("wrong")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := ParsePrivateKey(enc, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("empty password: %v", err)
	}
}

func TestTamperedCiphertext(t *testing.T) {
	priv, _ := Generate(nil)
	pw := []byte("pw")
	enc, err := MarshalEncrypted(priv, pw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(enc)
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes, &doc); err != nil {
		t.Fatalf("body is not the encrypted JSON: %v", err)
	}
	for _, field := range []string{"kdf", "cipher", "ciphertext"} {
		if _, ok := doc[field]; !ok {
			t.Fatalf("encrypted JSON lacks %q", field)
		}
	}
	ct, err := base64.StdEncoding.DecodeString(doc["ciphertext"].(string))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, len(ct) / 2, len(ct) - 1} {
		bad := append([]byte(nil), ct...)
		bad[i] ^= 0x01
		doc["ciphertext"] = base64.StdEncoding.EncodeToString(bad)
		body, _ := json.Marshal(doc)
		tampered := pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: body})
		if _, err := ParsePrivateKey(tampered, pw); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flip at %d accepted: %v", i, err)
		}
	}
}

func TestRejects(t *testing.T) {
	if _, err := ParsePrivateKey([]byte("not pem"), nil); !errors.Is(err, ErrNoPEM) {
		t.Fatalf("no PEM: %v", err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})
	if _, err := ParsePrivateKey(cert, nil); !errors.Is(err, ErrPEMType) {
		t.Fatalf("cert: %v", err)
	}
	if _, err := ParsePublicKeyPEM(cert); !errors.Is(err, ErrPEMType) {
		t.Fatalf("cert as public: %v", err)
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := MarshalEncrypted(edPriv, nil); !errors.Is(err, ErrKeyType) {
		t.Fatalf("ed25519 private: %v", err)
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := MarshalPublicKeyPEM(&p224.PublicKey); !errors.Is(err, ErrKeyType) {
		t.Fatalf("P-224 public: %v", err)
	}
	garbage := pem.EncodeToMemory(&pem.Block{Type: EncryptedPEMType, Bytes: []byte("{")})
	if _, err := ParsePrivateKey(garbage, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("garbage body: %v", err)
	}
}
