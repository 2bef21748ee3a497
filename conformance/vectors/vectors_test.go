package vectors

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openihsm/openihsm/spec/rc"
)

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"accepted", nil, false},
		{"named status", fmt.Errorf("Verify: %w", rc.SignatureInvalid), true},
		{"other status", fmt.Errorf("Verify: %w", rc.InternalError), false},
		{"no status", errors.New("connection reset"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := refused("Verify of an invalid signature", c.err, rc.SignatureInvalid); (err == nil) != c.ok {
				t.Errorf("refused(%v) = %v", c.err, err)
			}
		})
	}
}

func TestTallyCap(t *testing.T) {
	tl := newTally(Options{MaxPerFile: 2}, FamilyAESGCM, "x")
	for i := 0; i < 5; i++ {
		if tl.admit() {
			tl.check(i, nil)
		}
	}
	tl.skipAll(3, "not claimed")
	v := tl.done()
	if v.Total != 8 || v.Passed != 2 || v.Skipped != 6 || v.Failed != 0 || len(v.Notes) != 2 {
		t.Fatalf("tally %+v", v)
	}
}

// TestKnownEd25519Seeds checks that every published seed derives a public
// key of the Wycheproof file, so none is dead weight.
func TestKnownEd25519Seeds(t *testing.T) {
	var f eddsaFile
	if err := loadWycheproof("ed25519_test.json", &f); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, g := range f.TestGroups {
		if s := ed25519Seed(g.PublicKey.PK); s != nil {
			found[fmt.Sprintf("%x", s)] = true
		}
	}
	for _, s := range knownEd25519Seeds {
		if !found[s] {
			t.Errorf("seed %s derives no public key of ed25519_test.json", s)
		}
	}
}

// TestPQPKCS8 checks the seed form against the PKCS#8 encodings the
// Wycheproof ML-DSA-65 file carries.
func TestPQPKCS8(t *testing.T) {
	var f mldsaSignFile
	if err := loadWycheproof("mldsa_65_sign_seed_test.json", &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.TestGroups {
		if len(g.PrivateKeyPkcs8) == 0 || len(g.PrivateSeed) == 0 {
			continue
		}
		n++
		if got := pqPKCS8(oidMLDSA65, g.PrivateSeed); !bytes.Equal(got, g.PrivateKeyPkcs8) {
			t.Fatalf("pqPKCS8 = %x, want %x", got, g.PrivateKeyPkcs8)
		}
	}
	if n == 0 {
		t.Fatal("no group with both a seed and its PKCS#8")
	}
}

// TestECDSACases checks the derived ECDSA cases against Go's verifier:
// the valid ones verify and no other does, on every curve.
func TestECDSACases(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		digest := make([]byte, 32)
		rand.Read(digest)
		sig, err := ecdsa.SignASN1(rand.Reader, k, digest)
		if err != nil {
			t.Fatal(err)
		}
		var r, s big.Int
		in := cryptobyte.String(sig)
		if !in.ReadASN1(&in, cbasn1.SEQUENCE) || !in.ReadASN1Integer(&r) || !in.ReadASN1Integer(&s) {
			t.Fatal("signature does not parse")
		}
		cases := ecdsaCases(c.Params().N, &r, &s, (c.Params().BitSize+7)/8)
		if !bytes.Equal(cases[0].sig, sig) {
			t.Fatalf("%s: derSig does not re-encode the signature", c.Params().Name)
		}
		for _, v := range cases {
			if got := ecdsa.VerifyASN1(&k.PublicKey, digest, v.sig); got != v.valid {
				t.Errorf("%s %s: verifies %t, want %t", c.Params().Name, v.name, got, v.valid)
			}
		}
	}
}
