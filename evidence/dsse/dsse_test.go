package dsse

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	_ "crypto/sha512"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/openihsm/openihsm/evidence/keys"
)

func mustKey(t testing.TB, curve string) *ecdsa.PrivateKey {
	t.Helper()
	c, err := keys.Curve(curve)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.Generate(c)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPAE checks the encoding against the example in DSSE protocol.md.
func TestPAE(t *testing.T) {
	got := PAE("http://example.com/HelloWorld", []byte("hello world"))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if string(got) != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	for _, curve := range []string{"P-256", "P-384", "P-521"} {
		t.Run(curve, func(t *testing.T) {
			k := mustKey(t, curve)
			env, err := Sign(ctx, PayloadTypeInToto, payload, k)
			if err != nil {
				t.Fatal(err)
			}
			data, err := Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Verify(ctx, parsed, 1, k.Public())
			if err != nil {
				t.Fatal(err)
			}
			id, _ := keys.KeyID(k.Public())
			if !bytes.Equal(v.Payload, payload) || v.PayloadType != PayloadTypeInToto || len(v.KeyIDs) != 1 || v.KeyIDs[0] != id {
				t.Fatalf("verified %+v", v)
			}
			// The signature is over the SHA-256 of the PAE, as cosign
			// verifies without --signature-digest-algorithm.
			sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			d := sha256.Sum256(PAE(PayloadTypeInToto, payload))
			if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
				t.Fatal("signature is not ECDSA over the SHA-256 of the PAE")
			}
			// A signature over the curve's hash (cosign attest-blob with a
			// P-384 or P-521 key) verifies too; one over another hash does not.
			h, _ := keys.HashFor(k.Public())
			for _, tc := range []struct {
				hash crypto.Hash
				ok   bool
			}{{h, true}, {crypto.SHA224, false}, {crypto.SHA512_256, false}} {
				hh := tc.hash.New()
				hh.Write(PAE(PayloadTypeInToto, payload))
				other, err := ecdsa.SignASN1(rand.Reader, k, hh.Sum(nil))
				if err != nil {
					t.Fatal(err)
				}
				e := *env
				e.Signatures = []Signature{{Sig: base64.StdEncoding.EncodeToString(other)}}
				if _, err := Verify(ctx, &e, 1, k.Public()); (err == nil) != tc.ok {
					t.Errorf("signature over %v: verify error %v, want ok=%v", tc.hash, err, tc.ok)
				}
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	ctx := context.Background()
	k, other := mustKey(t, "P-384"), mustKey(t, "P-384")
	payload := []byte("payload")
	sign := func() *Envelope {
		env, err := Sign(ctx, PayloadTypeInToto, payload, k)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	tests := []struct {
		name   string
		mutate func(e *Envelope)
		keys   []crypto.PublicKey
		want   error
	}{
		{"flipped payload", func(e *Envelope) {
			b, _ := base64.StdEncoding.DecodeString(e.Payload)
			b[0] ^= 1
			e.Payload = base64.StdEncoding.EncodeToString(b)
		}, []crypto.PublicKey{k.Public()}, ErrThreshold},
		{"flipped signature", func(e *Envelope) {
			b, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
			b[len(b)-1] ^= 1
			e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(b)
		}, []crypto.PublicKey{k.Public()}, ErrThreshold},
		{"changed payload type", func(e *Envelope) { e.PayloadType = "application/json" }, []crypto.PublicKey{k.Public()}, ErrThreshold},
		{"other key pinned", func(e *Envelope) {}, []crypto.PublicKey{other.Public()}, ErrThreshold},
		{"keyid names another key", func(e *Envelope) {
			id, _ := keys.KeyID(other.Public())
			e.Signatures[0].KeyID = id
		}, []crypto.PublicKey{k.Public(), other.Public()}, ErrThreshold},
		{"no signatures", func(e *Envelope) { e.Signatures = nil }, []crypto.PublicKey{k.Public()}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := sign()
			tc.mutate(env)
			if _, err := Verify(ctx, env, 1, tc.keys...); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeyIDOptionalAndThreshold(t *testing.T) {
	ctx := context.Background()
	a, b := mustKey(t, "P-384"), mustKey(t, "P-256")
	env, err := Sign(ctx, PayloadTypeInToto, []byte("x"), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, env, 2, a.Public(), b.Public()); err != nil {
		t.Fatalf("two of two: %v", err)
	}
	single, _ := Sign(ctx, PayloadTypeInToto, []byte("x"), a)
	if _, err := Verify(ctx, single, 2, a.Public(), b.Public()); !errors.Is(err, ErrThreshold) {
		t.Fatalf("one signature for threshold 2: %v", err)
	}
	if _, err := Verify(ctx, single, 2, a.Public(), a.Public()); err == nil {
		t.Fatal("the same key pinned twice met a threshold of 2")
	}
	// cosign writes an empty keyid; the signature must still verify.
	single.Signatures[0].KeyID = ""
	if _, err := Verify(ctx, single, 1, b.Public(), a.Public()); err != nil {
		t.Fatalf("empty keyid: %v", err)
	}
	// Two signatures by one key count once.
	dup := *single
	dup.Signatures = append([]Signature{}, single.Signatures[0], single.Signatures[0])
	if _, err := Verify(ctx, &dup, 2, a.Public(), b.Public()); !errors.Is(err, ErrThreshold) {
		t.Fatalf("duplicated signature met threshold 2: %v", err)
	}
	if _, err := Verify(ctx, single, 0, a.Public()); err == nil {
		t.Fatal("threshold 0 accepted")
	}
}

func TestParseRejects(t *testing.T) {
	k := mustKey(t, "P-384")
	env, _ := Sign(context.Background(), PayloadTypeInToto, []byte("x"), k)
	good, _ := Marshal(env)
	if _, err := Parse(good); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"unknown member":   bytes.Replace(good, []byte(`{"payloadType"`), []byte(`{"extra":1,"payloadType"`), 1),
		"duplicate member": bytes.Replace(good, []byte(`{"payloadType"`), []byte(`{"payload":"eA==","payloadType"`), 1),
		"trailing data":    append(append([]byte{}, good...), []byte(`{}`)...),
		"not base64":       bytes.Replace(good, []byte(`"payload":"eA=="`), []byte(`"payload":"!!"`), 1),
		"empty":            []byte(`{}`),
		"no signatures":    []byte(`{"payloadType":"t","payload":"eA==","signatures":[]}`),
		"array":            []byte(`[]`),
	} {
		if _, err := Parse(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParseVerify(f *testing.F) {
	k := mustKey(f, "P-384")
	env, _ := Sign(context.Background(), PayloadTypeInToto, []byte(`{"a":1}`), k)
	good, _ := Marshal(env)
	f.Add(good)
	f.Add([]byte(`{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		v, err := Verify(context.Background(), e, 1, k.Public())
		if err == nil && !bytes.Equal(data, good) && v.PayloadType == PayloadTypeInToto && string(v.Payload) != `{"a":1}` {
			t.Fatalf("forged envelope verified: %q", data)
		}
	})
}
