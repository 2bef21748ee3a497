package sfr

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

var (
	keysOnce           sync.Once
	p384, p521, p521b  *ecdsa.PrivateKey
	p256               *ecdsa.PrivateKey
	rsa3072            *rsa.PrivateKey
	testKeyGenerateErr error
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		gen := func(c elliptic.Curve) *ecdsa.PrivateKey {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				testKeyGenerateErr = err
			}
			return k
		}
		p256, p384, p521, p521b = gen(elliptic.P256()), gen(elliptic.P384()), gen(elliptic.P521()), gen(elliptic.P521())
		rsa3072, testKeyGenerateErr = rsa.GenerateKey(rand.Reader, 3072)
	})
	if testKeyGenerateErr != nil {
		t.Fatal(testKeyGenerateErr)
	}
}

var firmware = []byte("OpenIHSM reference firmware image for tests")

func sampleReport() *Report {
	s384, s512 := sha512.Sum384(firmware), sha512.Sum512(firmware)
	cve := "CVE-2014-10000"
	return &Report{
		ReviewFrameworkVersion: "2.0",
		Device: Device{
			Vendor: "OpenIHSM", Product: "Reference HSM", Category: "HSM Firmware",
			RepoTag: "0123456789abcdef0123456789abcdef01234567", FWVersion: "0.1.0",
			FWHashSHA384: hex.EncodeToString(s384[:]), FWHashSHA512: hex.EncodeToString(s512[:]),
		},
		Audit: Audit{
			SRP: "Example Review Provider", Methodology: "whitebox", CompletionDate: "2026-11-20",
			ReportVersion: "1.0", ScopeNumber: 1, CVSSVersion: "3.1",
			Issues: []Issue{
				{Title: "Memory corruption when reading record from SPI flash", CVSSScore: "7.9",
					CVSSVector: "AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:H/A:L", CWE: "CWE-111", Description: "Insufficient input validation."},
				{Title: "Debug commands enable arbitrary memory read/write", CVSSScore: "8.7",
					CVSSVector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:L", CWE: "CWE-222", Description: "Debug handlers left in.", CVE: &cve},
			},
		},
	}
}

func TestSampleLintsClean(t *testing.T) {
	if ps := Lint(sampleReport()); len(ps) != 0 {
		t.Fatalf("lint: %v", ps)
	}
}

func TestJWSRoundTrip(t *testing.T) {
	testKeys(t)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		alg  Algorithm
	}{{"P-384", p384, ES384}, {"P-521", p521, ES512}, {"RSA-3072", rsa3072, PS384}} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport()
			tok, err := SignJWS(r, tc.key, "test-srp")
			if err != nil {
				t.Fatal(err)
			}
			v, err := Verify(tok, tc.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if v.Form != FormJWS || v.Algorithm != tc.alg || v.KeyID != "test-srp" {
				t.Errorf("form %v alg %v kid %q", v.Form, v.Algorithm, v.KeyID)
			}
			if !sameContent(v.Report, r) {
				t.Errorf("report changed:\n got %+v\nwant %+v", v.Report, r)
			}
			if err := CheckFirmware(v.Report, bytes.NewReader(firmware)); err != nil {
				t.Error(err)
			}
		})
	}
}

// sameContent compares the exported content of two reports.
func sameContent(a, b *Report) bool {
	ja, _ := EncodeJSON(a)
	jb, _ := EncodeJSON(b)
	return bytes.Equal(ja, jb)
}

func TestCoRIMRoundTrip(t *testing.T) {
	testKeys(t)
	r := sampleReport()
	r.Device.Manifest = []ManifestEntry{
		{FileName: "src/main.go", FileHash: strings.Repeat("ab", 64)},
		{FileName: "src/ünïcode.go", FileHash: strings.Repeat("cd", 64)},
	}
	c, err := EncodeCoRIM(r, CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := EncodeCoRIM(r, CoRIMOptions{})
	if err != nil || !bytes.Equal(c, c2) {
		t.Fatalf("encoding is not deterministic (err %v)", err)
	}
	got, err := ParseCoRIM(c)
	if err != nil {
		t.Fatal(err)
	}
	// The CoRIM profile has no keys for category and methodology.
	want := *r
	want.Device.Category, want.Audit.Methodology = "", ""
	want.Device.ManifestSHA512 = got.Device.ManifestSHA512
	if !reflect.DeepEqual(got.Device, want.Device) || !reflect.DeepEqual(got.Audit, want.Audit) || got.ReviewFrameworkVersion != "2.0" {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, &want)
	}
	mj := sha512.Sum512(ManifestJSON(r.Device.Manifest))
	if got.Device.ManifestSHA512 != hex.EncodeToString(mj[:]) {
		t.Errorf("manifest digest %s", got.Device.ManifestSHA512)
	}
	if ps := Lint(got); len(ps) != 0 {
		t.Errorf("lint: %v", ps)
	}
	for _, tc := range []struct {
		key crypto.Signer
		alg Algorithm
	}{{p384, ES384}, {p521, ES512}, {rsa3072, PS384}} {
		signed, err := SignCOSE(c, tc.key, "test-srp")
		if err != nil {
			t.Fatal(err)
		}
		if signed[0] != 0xD2 {
			t.Errorf("signed CoRIM starts %#x, want COSE_Sign1 tag 18", signed[0])
		}
		v, err := Verify(signed, tc.key.Public(), WithKeyID("test-srp"))
		if err != nil {
			t.Fatal(err)
		}
		if v.Form != FormCOSESign1 || v.Algorithm != tc.alg || v.KeyID != "test-srp" || !bytes.Equal(v.Payload, c) {
			t.Errorf("form %v alg %v kid %q", v.Form, v.Algorithm, v.KeyID)
		}
		if _, err := Verify(signed, p521b.Public(), WithKeyID("test-srp")); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrAlgorithm) {
			t.Errorf("wrong key: %v", err)
		}
	}
}

// TestCoRIMShape checks the encoding against the structure of the
// published Microsoft HSM report.
func TestCoRIMShape(t *testing.T) {
	c, err := EncodeCoRIM(sampleReport(), CoRIMOptions{ID: "sfr-corim-test"})
	if err != nil {
		t.Fatal(err)
	}
	var top cbor.Tag
	if err := cbor.Unmarshal(c, &top); err != nil || top.Number != 501 {
		t.Fatalf("top: tag %d, err %v", top.Number, err)
	}
	m := top.Content.(map[any]any)
	if m[uint64(0)] != "sfr-corim-test" {
		t.Errorf("corim-id %v", m[uint64(0)])
	}
	prof := m[uint64(3)].(cbor.Tag)
	if prof.Number != 111 || !bytes.Equal(prof.Content.([]byte), profileBytes) {
		t.Errorf("profile %v", prof)
	}
	ent := m[uint64(5)].([]any)[0].(map[any]any)
	if ent[uint64(0)] != "Example Review Provider" || !reflect.DeepEqual(ent[uint64(2)], []any{uint64(1)}) {
		t.Errorf("entity %v", ent)
	}
	ct := m[uint64(1)].([]any)[0].(cbor.Tag)
	if ct.Number != 506 {
		t.Fatalf("tag %d", ct.Number)
	}
	var comid map[any]any
	if err := cbor.Unmarshal(ct.Content.([]byte), &comid); err != nil {
		t.Fatal(err)
	}
	triple := comid[uint64(4)].(map[any]any)[uint64(10)].([]any)[0].([]any)
	cond := triple[0].([]any)[0].([]any)
	digs := cond[1].([]any)[0].(map[any]any)[uint64(1)].(map[any]any)[uint64(2)].([]any)
	if len(digs) != 2 || digs[0].([]any)[0] != int64(-43) || digs[1].([]any)[0] != int64(-44) {
		t.Errorf("condition digests %v", digs)
	}
	end := triple[1].([]any)[0].([]any)
	sfr := end[1].([]any)[0].(map[any]any)[uint64(1)].(map[any]any)[int64(-1)].(map[any]any)
	for _, k := range []uint64{0, 1, 2, 3, 4, 5} {
		if _, ok := sfr[k]; !ok {
			t.Errorf("SFR map lacks key %d", k)
		}
	}
	if d := sfr[uint64(2)]; reflect.TypeOf(d).String() != "time.Time" {
		t.Errorf("completion-date decodes as %T, want tag 1 time", d)
	}
}

// TestAlgorithmConfusion feeds headers that name another algorithm than
// the key allows; all must fail with ErrAlgorithm whatever the signature.
func TestAlgorithmConfusion(t *testing.T) {
	testKeys(t)
	payload, _ := EncodeJSON(sampleReport())
	pubDER, _ := json.Marshal(p521.Public())
	jws := func(hdr string, sig func(input []byte) []byte) []byte {
		input := b64.EncodeToString([]byte(hdr)) + "." + b64.EncodeToString(payload)
		return []byte(input + "." + b64.EncodeToString(sig([]byte(input))))
	}
	ecdsaSig := func(k *ecdsa.PrivateKey, h crypto.Hash) func([]byte) []byte {
		return func(in []byte) []byte {
			d := h.New()
			d.Write(in)
			r, s, err := ecdsa.Sign(rand.Reader, k, d.Sum(nil))
			if err != nil {
				t.Fatal(err)
			}
			n := (k.Curve.Params().N.BitLen() + 7) / 8
			out := make([]byte, 2*n)
			r.FillBytes(out[:n])
			s.FillBytes(out[n:])
			return out
		}
	}
	hs256 := func(in []byte) []byte {
		m := hmac.New(sha256.New, pubDER)
		m.Write(in)
		return m.Sum(nil)
	}
	none := func([]byte) []byte { return nil }
	for _, tc := range []struct {
		name string
		tok  []byte
		pub  crypto.PublicKey
	}{
		{"HS256 with the public key as secret", jws(`{"alg":"HS256"}`, hs256), p521.Public()},
		{"alg none", jws(`{"alg":"none"}`, none), p521.Public()},
		{"alg NONE", jws(`{"alg":"NONE"}`, none), p521.Public()},
		{"ES384 header, P-521 key", jws(`{"alg":"ES384"}`, ecdsaSig(p521, crypto.SHA384)), p521.Public()},
		{"ES512 header, P-384 key", jws(`{"alg":"ES512"}`, ecdsaSig(p384, crypto.SHA512)), p384.Public()},
		{"ES512 header, RSA key", jws(`{"alg":"ES512"}`, ecdsaSig(p521, crypto.SHA512)), rsa3072.Public()},
		{"PS384 header, EC key", jws(`{"alg":"PS384"}`, ecdsaSig(p384, crypto.SHA384)), p384.Public()},
		{"RS384", jws(`{"alg":"RS384"}`, none), rsa3072.Public()},
		{"PS256", jws(`{"alg":"PS256"}`, none), rsa3072.Public()},
		{"ES256", jws(`{"alg":"ES256"}`, ecdsaSig(p256, crypto.SHA256)), p256.Public()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyJWS(tc.tok, tc.pub)
			if !errors.Is(err, ErrAlgorithm) && !errors.Is(err, ErrKey) {
				t.Fatalf("err %v, want ErrAlgorithm or ErrKey", err)
			}
		})
	}

	corim, err := EncodeCoRIM(sampleReport(), CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// COSE_Sign1 whose protected alg says ES384, signed with SHA-384 by a
	// P-521 key: a valid ECDSA signature, refused for its algorithm.
	prot, _ := encMode.Marshal(map[int]any{headerAlg: -35})
	tbs, _ := encMode.Marshal([]any{"Signature1", prot, []byte{}, corim})
	msg, _ := encMode.Marshal(cbor.Tag{Number: 18, Content: []any{prot, map[int]any{}, corim, ecdsaSig(p521, crypto.SHA384)(tbs)}})
	if _, err := VerifyCOSE(msg, p521.Public()); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("COSE ES384 header with P-521 key: %v", err)
	}
	// HMAC 256/256 (COSE alg 5) and an unassigned algorithm.
	for _, alg := range []int{5, -7, -257, 0} {
		prot, _ := encMode.Marshal(map[int]any{headerAlg: alg})
		msg, _ := encMode.Marshal(cbor.Tag{Number: 18, Content: []any{prot, map[int]any{}, corim, make([]byte, 132)}})
		if _, err := VerifyCOSE(msg, p521.Public()); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("COSE alg %d: %v", alg, err)
		}
	}
}

// coseSign builds a COSE_Sign (tag 98) over payload with one signature
// per signer, each with the given protected and unprotected headers.
type coseSigner struct {
	key         *ecdsa.PrivateKey
	hash        crypto.Hash
	prot, unpro map[int]any
}

func coseSign(t *testing.T, payload []byte, signers ...coseSigner) []byte {
	t.Helper()
	var sigs []any
	for _, s := range signers {
		prot := []byte{}
		if len(s.prot) > 0 {
			prot, _ = encMode.Marshal(s.prot)
		}
		tbs, _ := encMode.Marshal([]any{"Signature", []byte{}, prot, []byte{}, payload})
		d := s.hash.New()
		d.Write(tbs)
		r, ss, err := ecdsa.Sign(rand.Reader, s.key, d.Sum(nil))
		if err != nil {
			t.Fatal(err)
		}
		n := (s.key.Curve.Params().N.BitLen() + 7) / 8
		sig := make([]byte, 2*n)
		r.FillBytes(sig[:n])
		ss.FillBytes(sig[n:])
		unpro := s.unpro
		if unpro == nil {
			unpro = map[int]any{}
		}
		sigs = append(sigs, []any{prot, unpro, sig})
	}
	out, err := encMode.Marshal(cbor.Tag{Number: 98, Content: []any{[]byte{}, map[int]any{}, payload, sigs}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCOSESignMultiSigner(t *testing.T) {
	testKeys(t)
	corim, err := EncodeCoRIM(sampleReport(), CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	msg := coseSign(t, corim,
		coseSigner{key: p384, hash: crypto.SHA384, prot: map[int]any{headerAlg: -35}, unpro: map[int]any{headerKeyID: []byte("first")}},
		// As in the Microsoft reports: empty protected header, alg and kid unprotected.
		coseSigner{key: p521, hash: crypto.SHA512, unpro: map[int]any{headerAlg: -36, headerKeyID: []byte("second")}},
		// No alg anywhere: the key decides.
		coseSigner{key: p521b, hash: crypto.SHA512, unpro: map[int]any{headerKeyID: []byte("third")}},
	)
	for _, tc := range []struct {
		key *ecdsa.PrivateKey
		kid string
		alg Algorithm
	}{{p384, "first", ES384}, {p521, "second", ES512}, {p521b, "third", ES512}} {
		v, err := Verify(msg, tc.key.Public(), WithKeyID(tc.kid))
		if err != nil {
			t.Fatalf("%s: %v", tc.kid, err)
		}
		// Another signer's kid pinned for this key: refused.
		if _, err := Verify(msg, tc.key.Public(), WithKeyID("someone")); !errors.Is(err, ErrKeyID) {
			t.Errorf("%s under another kid: %v", tc.kid, err)
		}
		if v.Form != FormCOSESign || v.KeyID != tc.kid || v.Algorithm != tc.alg {
			t.Errorf("form %v kid %q alg %v", v.Form, v.KeyID, v.Algorithm)
		}
	}
	other, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if _, err := Verify(msg, other.Public()); !errors.Is(err, ErrSignature) {
		t.Errorf("untrusted key: %v", err)
	}
	// An unprotected alg naming ES384 for a P-521 signer is refused even
	// though the signature itself is made with SHA-512.
	bad := coseSign(t, corim, coseSigner{key: p521, hash: crypto.SHA512, unpro: map[int]any{headerAlg: -35}})
	if _, err := Verify(bad, p521.Public()); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("ES384 unprotected alg with P-521 key: %v", err)
	}
	// Flip one bit in the payload: no signature verifies.
	mut := bytes.Clone(msg)
	i := bytes.Index(mut, []byte("OpenIHSM"))
	mut[i] ^= 1
	if _, err := Verify(mut, p521.Public()); !errors.Is(err, ErrSignature) {
		t.Errorf("flipped payload: %v", err)
	}
}

func TestCheckFirmware(t *testing.T) {
	r := sampleReport()
	if err := CheckFirmware(r, bytes.NewReader(firmware)); err != nil {
		t.Fatal(err)
	}
	err := CheckFirmware(r, bytes.NewReader(append(bytes.Clone(firmware), 0)))
	var dm *DigestMismatchError
	if !errors.As(err, &dm) || dm.Algorithm != "sha2_384" || !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err %v", err)
	}
	// Only SHA-512 recorded, and wrong.
	r.Device.FWHashSHA384 = ""
	r.Device.FWHashSHA512 = strings.Repeat("00", 64)
	if err := CheckFirmware(r, bytes.NewReader(firmware)); !errors.As(err, &dm) || dm.Algorithm != "sha2_512" {
		t.Fatalf("err %v", err)
	}
	// Uppercase and 0x-prefixed digests still compare.
	s384 := sha512.Sum384(firmware)
	r.Device.FWHashSHA384 = "0x" + strings.ToUpper(hex.EncodeToString(s384[:]))
	r.Device.FWHashSHA512 = ""
	if err := CheckFirmware(r, bytes.NewReader(firmware)); err != nil {
		t.Fatal(err)
	}
	r.Device.FWHashSHA384 = ""
	if err := CheckFirmware(r, bytes.NewReader(firmware)); !errors.Is(err, ErrNoDigest) {
		t.Fatalf("err %v", err)
	}
}

func TestCVSS3Base(t *testing.T) {
	for vec, want := range map[string]float64{
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
		"AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:H/A:L": 7.9,
		"AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:L": 8.7,
		"AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1,
		"AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N": 0,
	} {
		_, m, err := parseVector(vec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cvss3Base(m)
		if err != nil || got != want {
			t.Errorf("%s: %v (err %v), want %v", vec, got, err, want)
		}
	}
}

func TestParseRejectsJunk(t *testing.T) {
	testKeys(t)
	for _, in := range [][]byte{nil, []byte("{"), []byte("a.b"), []byte("a.b.c.d"), {0xD2}, {0xD8, 0x62, 0x80}, []byte(`{"device":1,"audit":{}}`)} {
		if _, err := Verify(in, p521.Public()); err == nil {
			t.Errorf("Verify(%q) succeeded", in)
		}
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}
