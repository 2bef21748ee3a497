package dsse

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	sslibdsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
)

func newKey(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerify(t *testing.T) {
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		t.Run(c.Params().Name, func(t *testing.T) {
			k := newKey(t, c)
			env, err := Sign(PayloadTypeInToto, payload, k)
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Signatures) != 1 || env.Signatures[0].KeyID != "" {
				t.Fatalf("signatures %+v", env.Signatures)
			}
			// SHA-256 over the PAE, DER signature: what cosign's key-based
			// verifier checks.
			sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			d := sha256.Sum256(sslibdsse.PAE(PayloadTypeInToto, payload))
			if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
				t.Fatal("signature is not ECDSA-SHA256 over PAE")
			}
			got, err := Verify(env, []crypto.PublicKey{&k.PublicKey}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(payload) {
				t.Fatal("payload differs")
			}
		})
	}
}

// An envelope signed with the curve's hash (cosign attest-blob with a P-384
// key signs with SHA-384) verifies too.
func TestVerifyCurveHash(t *testing.T) {
	k := newKey(t, elliptic.P384())
	payload := []byte("statement")
	pae := sslibdsse.PAE(PayloadTypeInToto, payload)
	d := sha512.Sum384(pae)
	sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	env := &Envelope{PayloadType: PayloadTypeInToto, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
	if _, err := Verify(env, []crypto.PublicKey{&k.PublicKey}, 1); err != nil {
		t.Fatal(err)
	}
	env2, err := SignWithHash(PayloadTypeInToto, payload, 0, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(env2, []crypto.PublicKey{&k.PublicKey}, 1); err != nil {
		t.Fatal(err)
	}
	// SHA-512 is not the hash of P-384 and not SHA-256.
	if _, err := SignWithHash(PayloadTypeInToto, payload, crypto.SHA512, k); !errors.Is(err, ErrKey) {
		t.Fatalf("SHA-512 with P-384: %v", err)
	}
}

func TestTamper(t *testing.T) {
	k := newKey(t, elliptic.P384())
	env, err := Sign(PayloadTypeInToto, []byte("payload"), k)
	if err != nil {
		t.Fatal(err)
	}
	pubs := []crypto.PublicKey{&k.PublicKey}
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	sig[len(sig)-1] ^= 1
	cases := map[string]func(e *Envelope){
		"payload": func(e *Envelope) { e.Payload = base64.StdEncoding.EncodeToString([]byte("payloaD")) },
		"type":    func(e *Envelope) { e.PayloadType = "application/json" },
		"sig":     func(e *Envelope) { e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(sig) },
		"no sigs": func(e *Envelope) { e.Signatures = nil },
		"bad b64": func(e *Envelope) { e.Payload = "!!" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			e := *env
			e.Signatures = append([]Signature(nil), env.Signatures...)
			mutate(&e)
			if _, err := Verify(&e, pubs, 1); err == nil {
				t.Fatal("tampered envelope verified")
			}
		})
	}
	other := newKey(t, elliptic.P384())
	if _, err := Verify(env, []crypto.PublicKey{&other.PublicKey}, 1); !errors.Is(err, ErrVerify) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := Verify(env, pubs, 1); err != nil {
		t.Fatalf("original no longer verifies: %v", err)
	}
}

func TestThreshold(t *testing.T) {
	a, b, c := newKey(t, elliptic.P384()), newKey(t, elliptic.P256()), newKey(t, elliptic.P384())
	all := []crypto.PublicKey{&a.PublicKey, &b.PublicKey, &c.PublicKey}
	env, err := Sign(PayloadTypeInToto, []byte("p"), a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pubs      []crypto.PublicKey
		threshold int
		ok        bool
	}{
		{all, 1, true},
		{all, 2, true},
		{all, 3, false},
		{[]crypto.PublicKey{&a.PublicKey, &c.PublicKey}, 2, false},
		{[]crypto.PublicKey{&a.PublicKey, &a.PublicKey}, 2, false}, // duplicates count once
		{all, 0, false},
		{all, 4, false},
	} {
		_, err := Verify(env, tc.pubs, tc.threshold)
		if (err == nil) != tc.ok {
			t.Errorf("%d keys, threshold %d: err %v", len(tc.pubs), tc.threshold, err)
		}
	}
	// The same signature repeated does not reach a threshold of two.
	dup := *env
	dup.Signatures = []Signature{env.Signatures[0], env.Signatures[0]}
	if _, err := Verify(&dup, all, 2); err == nil {
		t.Fatal("repeated signature counted twice")
	}
}

func TestJSON(t *testing.T) {
	k := newKey(t, elliptic.P384())
	env, err := Sign(PayloadTypeInToto, []byte("p"), k)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"payloadType", "payload", "signatures"} {
		if _, ok := generic[f]; !ok {
			t.Fatalf("missing %q in %s", f, data)
		}
	}
	s0 := generic["signatures"].([]any)[0].(map[string]any)
	if _, ok := s0["keyid"]; !ok {
		t.Fatalf("keyid not written: %s", data)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(back, []crypto.PublicKey{&k.PublicKey}, 1); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"trailing": string(data) + "{}",
		"unknown":  `{"payloadType":"a","payload":"","signatures":[{"keyid":"","sig":"AA=="}],"x":1}`,
		"no sigs":  `{"payloadType":"a","payload":"","signatures":[]}`,
		"not json": `{`,
		"no type":  `{"payload":"","signatures":[{"keyid":"","sig":"AA=="}]}`,
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"payloadType":"a","payload":"cA==","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Add([]byte(`{}`))
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Parse(data)
		if err != nil {
			if env != nil {
				t.Fatal("partial value on error")
			}
			return
		}
		if _, err := Verify(env, []crypto.PublicKey{&k.PublicKey}, 1); err == nil {
			t.Fatal("fuzzed envelope verified under a fresh key")
		}
	})
}
