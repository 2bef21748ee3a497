package vectors

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

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
