package kdf

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/c2sp/wycheproof"
)

// TestPBKDF2Wycheproof runs the Wycheproof PBKDF2 vectors of the hashes
// the device uses.
func TestPBKDF2Wycheproof(t *testing.T) {
	for name, h := range map[string]func() hash.Hash{
		"pbkdf2_hmacsha256_test.json": sha256.New, "pbkdf2_hmacsha384_test.json": sha512.New384, "pbkdf2_hmacsha512_test.json": sha512.New,
	} {
		data, err := fs.ReadFile(wycheproof.TestVectors, name)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			TestGroups []struct {
				Tests []struct {
					TcID               int
					Password, Salt, Dk string
					IterationCount     int
					DkLen              int
					Result             string
				}
			}
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, g := range file.TestGroups {
			for _, tc := range g.Tests {
				pw, _ := hex.DecodeString(tc.Password)
				salt, _ := hex.DecodeString(tc.Salt)
				want, _ := hex.DecodeString(tc.Dk)
				got, err := PBKDF2(h, pw, salt, tc.IterationCount, tc.DkLen)
				if ok := err == nil && bytes.Equal(got, want); ok != (tc.Result == "valid") {
					t.Errorf("%s tcId %d: %x, %v", name, tc.TcID, got, err)
				}
				n++
			}
		}
		if n == 0 {
			t.Fatalf("%s: no vectors", name)
		}
	}
}

// TestPBKDF2MatchesStandardLibrary compares with crypto/pbkdf2 across
// lengths around the hash size and small iteration counts.
func TestPBKDF2MatchesStandardLibrary(t *testing.T) {
	pw, salt := []byte("0123456789-pin"), []byte("sixteen byte salt")
	for _, iter := range []int{1, 2, 3, 1000} {
		for _, n := range []int{1, 16, 47, 48, 49, 96, 100} {
			got, err := PBKDF2(sha512.New384, pw, salt, iter, n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := pbkdf2.Key(sha512.New384, string(pw), salt, iter, n)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("iter %d, length %d: %x, want %x", iter, n, got, want)
			}
		}
	}
	for _, bad := range [][2]int{{0, 16}, {1, 0}, {1, -1}} {
		if _, err := PBKDF2(sha512.New384, pw, salt, bad[0], bad[1]); err == nil {
			t.Errorf("iter %d, length %d accepted", bad[0], bad[1])
		}
	}
}

// TestCredentialKeysAreSecret: the keys print as [REDACTED] in every verb,
// marshal to no bytes of theirs, and are not comparable (== does not
// compile on an incomparable type).
func TestCredentialKeysAreSecret(t *testing.T) {
	k, err := Credential(bytes.Repeat([]byte{7}, 48), bytes.Repeat([]byte{1}, 32), LabelSession, make([]byte, 97), make([]byte, 97))
	if err != nil {
		t.Fatal(err)
	}
	c2d, d2c := k.Channel()
	secrets := [][]byte{k.PIN(), c2d[:], d2c[:]}
	j, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{string(j)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, []any{k}), fmt.Sprintf(verb, struct{ K *CredentialKeys }{k}))
	}
	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, hex.EncodeToString(s)) || strings.Contains(strings.ToLower(out), hex.EncodeToString(s[:8])) ||
				strings.Contains(out, string(s)) || strings.Contains(out, fmt.Sprint(s[:8])[1:20]) {
				t.Fatalf("secret bytes in %q", out)
			}
		}
	}
	if reflect.TypeFor[CredentialKeys]().Comparable() {
		t.Error("CredentialKeys is comparable with ==")
	}
	k.Clear()
	if !bytes.Equal(k.PIN(), make([]byte, 32)) || *c2d != [32]byte{} || *d2c != [32]byte{} {
		t.Error("Clear left key bytes")
	}
}
