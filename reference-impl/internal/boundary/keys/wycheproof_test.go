package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"testing"

	"github.com/c2sp/wycheproof"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

func loadWycheproof(t *testing.T, name string, v any) {
	t.Helper()
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func hx(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWycheproofAESGCM runs aes_gcm_test.json through the store (keys
// imported raw) for the parameters the spec allows: 96-bit IV, 128-bit tag.
func TestWycheproofAESGCM(t *testing.T) {
	var f struct {
		TestGroups []struct {
			KeySize, IvSize, TagSize int
			Tests                    []struct {
				TcID                               int
				Key, Iv, Aad, Msg, Ct, Tag, Result string
			}
		}
	}
	loadWycheproof(t, "aes_gcm_test.json", &f)
	s := NewStore(nil, 1<<20)
	n := 0
	for _, g := range f.TestGroups {
		if g.IvSize != 96 || g.TagSize != 128 {
			continue
		}
		kind := map[int]Kind{128: Aes128, 192: Aes192, 256: Aes256}[g.KeySize]
		for _, tc := range g.Tests {
			info, err := s.Import(kind, Attributes{Usage: UsageEncrypt | UsageDecrypt}, secret.New(hx(t, tc.Key)))
			if err != nil {
				t.Fatalf("tc %d: %v", tc.TcID, err)
			}
			n++
			ct := append(hx(t, tc.Ct), hx(t, tc.Tag)...)
			pt, err := s.Decrypt(0, info.Handle, AesGcm, ct, hx(t, tc.Iv), hx(t, tc.Aad))
			if tc.Result == "valid" {
				if err != nil || !bytes.Equal(pt, hx(t, tc.Msg)) {
					t.Errorf("tc %d: Decrypt %v", tc.TcID, err)
				}
				got, _, err := s.Encrypt(0, info.Handle, AesGcm, hx(t, tc.Msg), hx(t, tc.Iv), hx(t, tc.Aad))
				if err != nil || !bytes.Equal(got, ct) {
					t.Errorf("tc %d: Encrypt %v", tc.TcID, err)
				}
			} else if tc.Result == "invalid" && !errors.Is(err, ErrDecryptFailed) {
				t.Errorf("tc %d: invalid accepted: %v", tc.TcID, err)
			}
			s.Delete(0, info.Handle)
		}
	}
	if n < 50 {
		t.Fatalf("only %d vectors", n)
	}
}

// TestWycheproofECDSAVerify runs the DER ECDSA verification vectors for the
// curve/hash pairs of the spec through verifyECDSA, the function Verify uses.
func TestWycheproofECDSAVerify(t *testing.T) {
	for _, c := range []struct {
		file  string
		curve elliptic.Curve
		hash  crypto.Hash
	}{
		{"ecdsa_secp256r1_sha256_test.json", elliptic.P256(), crypto.SHA256},
		{"ecdsa_secp384r1_sha384_test.json", elliptic.P384(), crypto.SHA384},
		{"ecdsa_secp521r1_sha512_test.json", elliptic.P521(), crypto.SHA512},
	} {
		var f struct {
			TestGroups []struct {
				PublicKey struct{ Uncompressed string }
				Tests     []struct {
					TcID             int
					Msg, Sig, Result string
				}
			}
		}
		loadWycheproof(t, c.file, &f)
		n := 0
		for _, g := range f.TestGroups {
			pub, err := ecdsa.ParseUncompressedPublicKey(c.curve, hx(t, g.PublicKey.Uncompressed))
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			for _, tc := range g.Tests {
				n++
				ok := verifyECDSA(pub, digest(c.hash, hx(t, tc.Msg)), hx(t, tc.Sig))
				if (tc.Result == "valid" && !ok) || (tc.Result == "invalid" && ok) {
					t.Errorf("%s tc %d: verify = %v, want %s", c.file, tc.TcID, ok, tc.Result)
				}
			}
		}
		if n < 100 {
			t.Fatalf("%s: only %d vectors", c.file, n)
		}
	}
}
