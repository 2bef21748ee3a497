package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

func TestEncryptedRoundTrip(t *testing.T) {
	for _, name := range []string{"P-256", "P-384", "P-521"} {
		for _, pw := range []string{"", "correct horse"} {
			if name != "P-384" && pw != "" {
				continue // scrypt is slow under -race; one password case per other curve
			}
			t.Run(name+"/"+pw, func(t *testing.T) {
				c, err := Curve(name)
				if err != nil {
					t.Fatal(err)
				}
				priv, err := Generate(c)
				if err != nil {
					t.Fatal(err)
				}
				data, err := MarshalEncrypted(priv, []byte(pw))
				if err != nil {
					t.Fatal(err)
				}
				block, _ := pem.Decode(data)
				if block == nil || block.Type != EncryptedPEMType {
					t.Fatalf("PEM block %v", block)
				}
				// The body is go-securesystemslib's encrypted JSON: scrypt
				// KDF and NaCl secretbox, the format cosign reads.
				var body struct {
					KDF struct {
						Name   string
						Params struct{ N, R, P int }
						Salt   []byte
					}
					Cipher struct {
						Name  string
						Nonce []byte
					}
					Ciphertext []byte
				}
				if err := json.Unmarshal(block.Bytes, &body); err != nil {
					t.Fatal(err)
				}
				if body.KDF.Name != "scrypt" || body.Cipher.Name != "nacl/secretbox" || len(body.Cipher.Nonce) != 24 || len(body.KDF.Salt) != 32 || body.KDF.Params.N == 0 {
					t.Fatalf("encrypted body %+v", body)
				}
				got, err := ParsePrivate(data, []byte(pw))
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(priv) {
					t.Fatal("round trip changed the key")
				}
				if _, err := ParsePrivate(data, []byte(pw+"x")); !errors.Is(err, ErrDecrypt) {
					t.Fatalf("wrong password: %v", err)
				}
				legacy := pem.EncodeToMemory(&pem.Block{Type: LegacyEncryptedPEMType, Bytes: block.Bytes})
				if got, err := ParsePrivate(legacy, []byte(pw)); err != nil || !got.Equal(priv) {
					t.Fatalf("legacy PEM type: %v", err)
				}
				pubPEM, err := MarshalPublic(priv.Public())
				if err != nil {
					t.Fatal(err)
				}
				pub, err := ParsePublic(pubPEM)
				if err != nil || !pub.Equal(priv.Public()) {
					t.Fatalf("public round trip: %v", err)
				}
			})
		}
	}
}

func TestPlainPKCS8AndRejections(t *testing.T) {
	priv, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if priv.Curve != elliptic.P384() {
		t.Fatalf("default curve %s", priv.Curve.Params().Name)
	}
	plain, err := MarshalPKCS8(priv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParsePrivate(plain, nil); err != nil || !got.Equal(priv) {
		t.Fatalf("plain PKCS#8: %v", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	if _, err := ParsePrivate(pem.EncodeToMemory(&pem.Block{Type: PKCS8PEMType, Bytes: der}), nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("RSA key: %v", err)
	}
	// cosign import-key-pair encrypts RSA keys in the same format:
	// ParseSigner opens them, ParsePrivate refuses them for DSSE.
	enc, err := encrypted.EncryptWithCustomKDFParameters(der, []byte("pw"), encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	encRSA := pem.EncodeToMemory(&pem.Block{Type: EncryptedPEMType, Bytes: enc})
	if !IsEncrypted(encRSA) || IsEncrypted(plain) {
		t.Fatal("IsEncrypted does not tell the formats apart")
	}
	if s, err := ParseSigner(encRSA, []byte("pw")); err != nil || !rsaKey.Equal(s) {
		t.Fatalf("ParseSigner of an encrypted RSA key: %v", err)
	}
	if _, err := ParseSigner(encRSA, []byte("other")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("ParseSigner with the wrong password: %v", err)
	}
	if _, err := ParsePrivate(encRSA, []byte("pw")); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("ParsePrivate of an encrypted RSA key: %v", err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if _, err := ParsePublic(pem.EncodeToMemory(&pem.Block{Type: PublicPEMType, Bytes: spki})); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("RSA public key: %v", err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalEncrypted(p224, nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("P-224: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("not pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}), append(plain, plain...)} {
		if _, err := ParsePrivate(bad, nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := ParsePublic(plain); err == nil {
		t.Error("private key accepted as public")
	}
}

func TestKeyID(t *testing.T) {
	a, _ := Generate(nil)
	b, _ := Generate(nil)
	ida, err := KeyID(a.Public())
	if err != nil {
		t.Fatal(err)
	}
	ida2, _ := KeyID(&a.PublicKey)
	idb, _ := KeyID(b.Public())
	if ida != ida2 || ida == idb || len(ida) != 64 {
		t.Fatalf("key ids %s %s %s", ida, ida2, idb)
	}
}

func TestWriteKeyPair(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "demo")
	priv, err := WriteKeyPair(prefix, nil, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	got, err := LoadPrivate(prefix+".key", []byte("pw"))
	if err != nil || !got.Equal(priv) {
		t.Fatalf("load: %v", err)
	}
	pub, err := LoadPublic(prefix + ".pub")
	if err != nil || !pub.Equal(priv.Public()) {
		t.Fatalf("load public: %v", err)
	}
	if _, err := WriteKeyPair(prefix, nil, nil); err == nil {
		t.Fatal("existing key files overwritten")
	}
}
