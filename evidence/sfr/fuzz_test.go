package sfr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

// seedSigned adds the quirk fixtures and freshly signed reports to a
// fuzz corpus.
func seedSigned(f *testing.F, ext string) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(quirksDir, "*"+ext)); files != nil {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	r := sampleReport()
	if ext == ".jws" {
		tok, err := SignJWS(r, key, "fuzz")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
		return key
	}
	c, err := EncodeCoRIM(r, CoRIMOptions{})
	if err != nil {
		f.Fatal(err)
	}
	signed, err := SignCOSE(c, key, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(c)
	return key
}

// FuzzVerifyJWS checks that no input makes the JWS verifier panic, and that
// whatever verifies carries a report.
func FuzzVerifyJWS(f *testing.F) {
	pub := seedSigned(f, ".jws").Public()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyJWS(data, pub)
		if err == nil && v.Report == nil {
			t.Fatal("verified without a report")
		}
		if r, err := Parse(data); err == nil {
			Lint(r)
		}
	})
}

// FuzzVerifyCOSE checks that no input makes the COSE verifier, the CoRIM
// decoder or the linter panic.
func FuzzVerifyCOSE(f *testing.F) {
	pub := seedSigned(f, ".cbor").Public()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyCOSE(data, pub)
		if err == nil && v.Report == nil {
			t.Fatal("verified without a report")
		}
		if r, err := ParseCoRIM(data); err == nil {
			Lint(r)
			// Re-encoding may refuse what was decoded, never panic.
			_, _ = EncodeCoRIM(r, CoRIMOptions{})
			_, _ = EncodeJSON(r)
		}
		if r, err := Parse(data); err == nil {
			Lint(r)
		}
	})
}
