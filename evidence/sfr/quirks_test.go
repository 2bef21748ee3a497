package sfr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

var update = flag.Bool("update", false, "regenerate testdata/quirks with fresh ephemeral keys")

const quirksDir = "testdata/quirks"

// quirkFixtures are signed reports with the quirks of published ones; each
// names the key that verifies it and the lint codes it must raise.
var quirkFixtures = []struct {
	file, key string
	form      Form
	codes     []Code
}{
	{"cose-sign-multi-unprotected-alg.cbor", "signer-p521.pub", FormCOSESign, []Code{CodeRepoTagMissing, CodeHashEmpty}},
	{"cose-sign-multi-unprotected-alg.cbor", "signer-p384.pub", FormCOSESign, []Code{CodeRepoTagMissing, CodeHashEmpty}},
	{"jws-float-scope-0x-hashes.jws", "signer-p521.pub", FormJWS, []Code{CodeScopeType, CodeHashPrefix, CodeRepoTagMissing}},
	{"cose-sign1-float-scope.cbor", "signer-p384.pub", FormCOSESign1, []Code{CodeScopeType}},
}

func TestQuirkFixtures(t *testing.T) {
	if *update {
		writeQuirkFixtures(t)
	}
	for _, tc := range quirkFixtures {
		t.Run(tc.file+"/"+tc.key, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(quirksDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			pemBytes, err := os.ReadFile(filepath.Join(quirksDir, tc.key))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeyPEM(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Verify(data, pub, WithKeyID(DefaultKeyID(tc.key)))
			if err != nil {
				t.Fatal(err)
			}
			if v.Form != tc.form {
				t.Errorf("form %v, want %v", v.Form, tc.form)
			}
			got := map[Code]bool{}
			for _, p := range Lint(v.Report) {
				got[p.Code] = true
			}
			for _, c := range tc.codes {
				if !got[c] {
					t.Errorf("lint codes %v lack %s", got, c)
				}
			}
			other, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
			if _, err := Verify(data, other.Public()); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrAlgorithm) {
				t.Errorf("other key: %v", err)
			}
		})
	}
}

func writeQuirkFixtures(t *testing.T) {
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err := os.MkdirAll(quirksDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(quirksDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, k := range map[string]*ecdsa.PrivateKey{"signer-p384.pub": k384, "signer-p521.pub": k521} {
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		write(name, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}

	// Like the Microsoft HSM reports: SHA-384 only, no repo_tag, COSE_Sign
	// with an empty protected header; here two signers, the P-521 one
	// naming its alg only in the unprotected header.
	r := sampleReport()
	r.Device.RepoTag, r.Device.FWHashSHA512 = "", ""
	corim, err := EncodeCoRIM(r, CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write("cose-sign-multi-unprotected-alg.cbor", coseSign(t, corim,
		coseSigner{key: k384, hash: crypto.SHA384, prot: map[int]any{headerAlg: -35}, unpro: map[int]any{headerKeyID: []byte("signer-p384")}},
		coseSigner{key: k521, hash: crypto.SHA512, unpro: map[int]any{headerAlg: -36, headerKeyID: []byte("signer-p521")}},
	))

	// Like the 2023-2025 JSON reports: scope_number 1.0, 0x hashes, no repo_tag.
	b, _ := EncodeJSON(sampleReport())
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	d := raw["device"].(map[string]any)
	d["fw_hash_sha2_384"] = "0x" + d["fw_hash_sha2_384"].(string)
	d["fw_hash_sha2_512"] = "0x" + d["fw_hash_sha2_512"].(string)
	delete(d, "repo_tag")
	payload, _ := json.Marshal(raw)
	payload = []byte(replaceOnce(string(payload), `"scope_number":1`, `"scope_number":1.0`))
	tok, err := SignJWSPayload(payload, k521, "signer-p521")
	if err != nil {
		t.Fatal(err)
	}
	write("jws-float-scope-0x-hashes.jws", tok)

	// A CoRIM whose scope-number is the float 1.0, signed COSE_Sign1.
	c, err := EncodeCoRIM(sampleReport(), CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c = setCoRIMScope(t, c, 1.0)
	signed, err := SignCOSE(c, k384, "signer-p384")
	if err != nil {
		t.Fatal(err)
	}
	write("cose-sign1-float-scope.cbor", signed)
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// setCoRIMScope rewrites the SFR's scope-number (key 3) to v.
func setCoRIMScope(t *testing.T, c []byte, v any) []byte {
	t.Helper()
	var top cbor.Tag
	if err := cbor.Unmarshal(c, &top); err != nil {
		t.Fatal(err)
	}
	m := top.Content.(map[any]any)
	ct := m[uint64(1)].([]any)[0].(cbor.Tag)
	var comid map[any]any
	if err := cbor.Unmarshal(ct.Content.([]byte), &comid); err != nil {
		t.Fatal(err)
	}
	triple := comid[uint64(4)].(map[any]any)[uint64(10)].([]any)[0].([]any)
	sfr := triple[1].([]any)[0].([]any)[1].([]any)[0].(map[any]any)[uint64(1)].(map[any]any)[int64(-1)].(map[any]any)
	sfr[uint64(3)] = v
	// time.Time would be re-encoded as RFC 3339 text; restore tag 1.
	sfr[uint64(2)] = cbor.Tag{Number: 1, Content: sfr[uint64(2)].(interface{ Unix() int64 }).Unix()}
	cb, err := encMode.Marshal(comid)
	if err != nil {
		t.Fatal(err)
	}
	m[uint64(1)] = []any{cbor.Tag{Number: 506, Content: cb}}
	out, err := encMode.Marshal(cbor.Tag{Number: 501, Content: m})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
