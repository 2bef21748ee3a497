package client

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/c2sp/wycheproof"
)

// TestKWPWycheproof runs the AES-KWP vectors of Project Wycheproof
// (testvectors_v1/aes_kwp_test.json): every valid vector must wrap to the
// expected ciphertext and unwrap back; every invalid one must fail to unwrap.
func TestKWPWycheproof(t *testing.T) {
	raw, err := fs.ReadFile(wycheproof.TestVectors, "aes_kwp_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Algorithm  string `json:"algorithm"`
		TestGroups []struct {
			KeySize int `json:"keySize"`
			Tests   []struct {
				TcID    int      `json:"tcId"`
				Comment string   `json:"comment"`
				Key     string   `json:"key"`
				Msg     string   `json:"msg"`
				CT      string   `json:"ct"`
				Result  string   `json:"result"`
				Flags   []string `json:"flags"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.Algorithm != "AES-KWP" {
		t.Fatalf("algorithm %q", file.Algorithm)
	}
	var valid, invalid int
	for _, g := range file.TestGroups {
		for _, tc := range g.Tests {
			key, _ := hex.DecodeString(tc.Key)
			msg, _ := hex.DecodeString(tc.Msg)
			ct, _ := hex.DecodeString(tc.CT)
			got, err := kwpUnwrap(key, ct)
			switch tc.Result {
			case "valid":
				valid++
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("tcId %d (%s): unwrap = %x, %v; want %x", tc.TcID, tc.Comment, got, err, msg)
				}
				w, err := kwpWrap(key, msg)
				if err != nil || !bytes.Equal(w, ct) {
					t.Errorf("tcId %d (%s): wrap = %x, %v; want %x", tc.TcID, tc.Comment, w, err, ct)
				}
			case "invalid":
				invalid++
				if err == nil {
					t.Errorf("tcId %d (%s %v): invalid ciphertext unwrapped to %x", tc.TcID, tc.Comment, tc.Flags, got)
				}
			case "acceptable":
				// Acceptable vectors (e.g. keys shorter than 128 bits) may be
				// rejected or accepted; if accepted they must be exact.
				if err == nil && !bytes.Equal(got, msg) {
					t.Errorf("tcId %d (%s): acceptable vector unwrapped to %x, want %x", tc.TcID, tc.Comment, got, msg)
				}
			default:
				t.Fatalf("tcId %d: unknown result %q", tc.TcID, tc.Result)
			}
		}
	}
	if valid == 0 || invalid == 0 {
		t.Fatalf("ran %d valid and %d invalid vectors", valid, invalid)
	}
}

func FuzzKWPUnwrap(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	w, _ := kwpWrap(key, []byte("hello"))
	f.Add(w)
	f.Add(make([]byte, 24))
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := kwpUnwrap(key, ct)
		if err != nil {
			return
		}
		again, err := kwpWrap(key, pt)
		if err != nil || !bytes.Equal(again, ct) {
			t.Fatalf("unwrap accepted %x but rewrap gives %x, %v", ct, again, err)
		}
	})
}
