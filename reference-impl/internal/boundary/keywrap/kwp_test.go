package keywrap

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/c2sp/wycheproof"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC5649 checks the two examples of RFC 5649 §6.
func TestRFC5649(t *testing.T) {
	kek := unhex(t, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	for _, tc := range []struct{ key, wrapped string }{
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	} {
		b, _ := aes.NewCipher(kek)
		got, err := Wrap(b, unhex(t, tc.key))
		if err != nil || hex.EncodeToString(got) != tc.wrapped {
			t.Errorf("Wrap(%s) = %x, %v; want %s", tc.key, got, err, tc.wrapped)
		}
		pt, err := Unwrap(b, unhex(t, tc.wrapped))
		if err != nil || hex.EncodeToString(pt) != tc.key {
			t.Errorf("Unwrap = %x, %v", pt, err)
		}
	}
}

type kwpFile struct {
	TestGroups []struct {
		Tests []struct {
			TcID    int    `json:"tcId"`
			Comment string `json:"comment"`
			Key     string `json:"key"`
			Msg     string `json:"msg"`
			Ct      string `json:"ct"`
			Result  string `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// TestWycheproofKWP runs every aes_kwp_test.json vector from the Wycheproof
// module: valid vectors must wrap to ct and unwrap to msg, invalid ones must
// be refused by Unwrap.
func TestWycheproofKWP(t *testing.T) {
	data, err := fs.ReadFile(wycheproof.TestVectors, "aes_kwp_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var f kwpFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			count++
			b, err := aes.NewCipher(unhex(t, tc.Key))
			if err != nil {
				t.Fatalf("tc %d: %v", tc.TcID, err)
			}
			msg, ct := unhex(t, tc.Msg), unhex(t, tc.Ct)
			pt, uerr := Unwrap(b, ct)
			switch tc.Result {
			case "valid":
				if uerr != nil || !bytes.Equal(pt, msg) {
					t.Errorf("tc %d (%s): Unwrap = %x, %v", tc.TcID, tc.Comment, pt, uerr)
				}
				w, err := Wrap(b, msg)
				if err != nil || !bytes.Equal(w, ct) {
					t.Errorf("tc %d (%s): Wrap = %x, %v", tc.TcID, tc.Comment, w, err)
				}
			case "invalid":
				if uerr == nil {
					t.Errorf("tc %d (%s): Unwrap accepted an invalid ciphertext", tc.TcID, tc.Comment)
				}
			default: // "acceptable": either outcome is allowed, but no panic
			}
		}
	}
	if count < 100 {
		t.Fatalf("only %d vectors read", count)
	}
}

func TestWrapLengths(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 32))
	if _, err := Wrap(b, nil); err != ErrLength {
		t.Fatalf("empty plaintext: %v", err)
	}
	for n := 1; n <= 70; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		c, err := Wrap(b, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 8+(n+7)/8*8 {
			t.Fatalf("len %d: ciphertext %d", n, len(c))
		}
		got, err := Unwrap(b, c)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("len %d round trip: %v", n, err)
		}
		c[len(c)-1] ^= 1
		if _, err := Unwrap(b, c); err != ErrUnwrap {
			t.Fatalf("len %d tampered: %v", n, err)
		}
	}
}

func FuzzUnwrap(f *testing.F) {
	f.Add(unhex(f, "afbeb0f07dfbf5419200f2ccb50bb24f"))
	f.Add(make([]byte, 24))
	b, _ := aes.NewCipher(unhex(f, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"))
	f.Fuzz(func(t *testing.T, c []byte) {
		pt, err := Unwrap(b, c)
		if err != nil {
			return
		}
		again, err := Wrap(b, pt)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("accepted ciphertext does not re-wrap identically")
		}
	})
}
