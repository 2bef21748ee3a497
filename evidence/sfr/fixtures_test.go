package sfr

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// publishedDir holds reports published in the OCP SAFE repository and
// their reviewers' keys (see its README).
const publishedDir = "testdata/published"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(publishedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureKey(t *testing.T, name string) crypto.PublicKey {
	t.Helper()
	k, err := ParsePublicKeyPEM(readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var published = []struct {
	file, key, otherKey string
	form                Form
	vendor, fwVersion   string
	sha384              string
}{
	{
		file: "microsoft-hsm-runtime-sfr_signed.cbor", key: "tetrel-ocp-sfr-signing-key.pub", otherKey: "ncc-group-ocp-safe-ecdsa-p521.pub",
		form: FormCOSESign, vendor: "Microsoft Corporation", fwVersion: "3.4.6.7-60219024",
		sha384: "37ef2a8381bf2fb69f1ab220f07ef6483571dfc9c0d8af6b74723aba612a4fdcb60443ba4889a2eec200eeca207dcb96",
	},
	{
		file: "amd-epyc9005-asp-rom-sfr.jws", key: "ncc-group-ocp-safe-ecdsa-p521.pub", otherKey: "tetrel-ocp-sfr-signing-key.pub",
		form: FormJWS, vendor: "Advanced Micro Devices", fwVersion: "14.17.4.0",
		sha384: "97c6ec56ca970efe60b12f91e275a067ad95caaf4c73c53585d218968293ed9e128db6589a179b4e138e0f728519f1f0",
	},
}

func TestPublishedReportsVerify(t *testing.T) {
	for _, tc := range published {
		t.Run(tc.file, func(t *testing.T) {
			data := readFixture(t, tc.file)
			v, err := Verify(data, fixtureKey(t, tc.key), WithKeyID(DefaultKeyID(tc.key)))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if v.Form != tc.form || v.Algorithm != ES512 {
				t.Errorf("form %v alg %v, want %v ES512", v.Form, v.Algorithm, tc.form)
			}
			r := v.Report
			if r.Device.Vendor != tc.vendor || r.Device.FWVersion != tc.fwVersion || r.Device.FWHashSHA384 != tc.sha384 {
				t.Errorf("report device %+v", r.Device)
			}
			if _, err := Verify(data, fixtureKey(t, tc.otherKey), WithKeyID(DefaultKeyID(tc.key))); !errors.Is(err, ErrSignature) {
				t.Errorf("another reviewer's key: err %v, want ErrSignature", err)
			}
			// The COSE report's kid is unprotected: it is believed only as
			// the kid the key is pinned under.
			if tc.form != FormJWS {
				for _, opts := range [][]VerifyOption{nil, {WithKeyID("another-kid")}} {
					if _, err := Verify(data, fixtureKey(t, tc.key), opts...); !errors.Is(err, ErrKeyID) {
						t.Errorf("kid pinned as %v: err %v, want ErrKeyID", opts, err)
					}
				}
			}
		})
	}
}

func TestPublishedReportsRejectBitFlips(t *testing.T) {
	for _, tc := range published {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data := readFixture(t, tc.file)
			key := fixtureKey(t, tc.key)
			kid := WithKeyID(DefaultKeyID(tc.key))
			orig, err := Verify(data, key, kid)
			if err != nil {
				t.Fatal(err)
			}
			// Every bit of every byte outside the payload and the
			// signatures: the headers, protected and unprotected (the
			// kid), and the structure. The signature covers every bit of
			// the payload through its hash and ECDSA every bit of itself,
			// so there one bit of every seventh byte stands for the rest.
			// -short takes every third byte outside them.
			signed := signedSpans(t, data, tc.form, orig.Payload)
			outStep := 1
			if testing.Short() {
				outStep = 3
			}
			headerBytes := 0
			for i := 0; i < len(data); i++ {
				bits := []int{0, 1, 2, 3, 4, 5, 6, 7}
				if at, ok := inSpans(signed, i); ok {
					if (i-at)%7 != 0 {
						continue
					}
					bits = []int{i % 8}
				} else {
					headerBytes++
					if i%outStep != 0 {
						continue
					}
				}
				for _, bit := range bits {
					mut := append([]byte(nil), data...)
					mut[i] ^= 1 << bit
					if _, err := Verify(mut, key, kid); err == nil {
						t.Errorf("verified after flipping bit %d of byte %d", bit, i)
					}
				}
			}
			if headerBytes < 30 {
				t.Fatalf("only %d bytes outside payload and signatures", headerBytes)
			}
		})
	}
}

// signedSpans are where the payload and the signatures lie in a published
// report, as [start, end) pairs: the CoRIM and each signature of the COSE
// message, the payload and signature segments of a compact JWS.
func signedSpans(t *testing.T, data []byte, form Form, payload []byte) [][2]int {
	t.Helper()
	if form == FormJWS {
		first, last := bytes.IndexByte(data, '.'), bytes.LastIndexByte(data, '.')
		return [][2]int{{first + 1, last}, {last + 1, len(data)}}
	}
	m, err := decodeCOSE(data)
	if err != nil {
		t.Fatal(err)
	}
	var spans [][2]int
	for _, b := range append([][]byte{payload}, sigBytes(m)...) {
		i := bytes.Index(data, b)
		if i < 0 {
			t.Fatal("payload or signature not found in the COSE message")
		}
		spans = append(spans, [2]int{i, i + len(b)})
	}
	return spans
}

func sigBytes(m *coseMessage) [][]byte {
	var out [][]byte
	for _, s := range m.signatures {
		out = append(out, s.signature)
	}
	return out
}

func inSpans(spans [][2]int, i int) (int, bool) {
	for _, s := range spans {
		if i >= s[0] && i < s[1] {
			return s[0], true
		}
	}
	return 0, false
}

func TestMicrosoftCoRIMStructure(t *testing.T) {
	v, err := VerifyCOSE(readFixture(t, "microsoft-hsm-runtime-sfr_signed.cbor"), fixtureKey(t, "tetrel-ocp-sfr-signing-key.pub"), WithKeyID("tetrel-ocp-sfr-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	r := v.Report
	want := Report{
		ReviewFrameworkVersion: "2.0",
		Device: Device{
			Vendor: "Microsoft Corporation", Product: "Microsoft HSM Cryptographic Module (HSM Runtime)",
			FWVersion: "3.4.6.7-60219024", FWHashSHA384: published[0].sha384,
		},
		Audit: Audit{SRP: "Tetrel Security Inc.", CompletionDate: "2026-03-18", ReportVersion: "1.0", ScopeNumber: 1, Issues: []Issue{}},
	}
	if r.ReviewFrameworkVersion != want.ReviewFrameworkVersion || r.Device.Product != want.Device.Product ||
		r.Audit.SRP != want.Audit.SRP || r.Audit.CompletionDate != want.Audit.CompletionDate ||
		r.Audit.ReportVersion != want.Audit.ReportVersion || r.Audit.ScopeNumber != 1 || len(r.Audit.Issues) != 0 {
		t.Errorf("report\n got %+v\nwant %+v", *r, want)
	}
	if v.KeyID != "tetrel-ocp-sfr-signing-key" || v.KeyIDProtected {
		t.Errorf("kid %q", v.KeyID)
	}
	codes := map[Code]bool{}
	for _, p := range Lint(r) {
		codes[p.Code] = true
		if p.Severity == SeverityError {
			t.Errorf("unexpected lint error %v", p)
		}
	}
	if !codes[CodeRepoTagMissing] || !codes[CodeHashEmpty] {
		t.Errorf("lint codes %v, want repo-tag-missing and hash-empty", codes)
	}
}

func TestAMDJWSLint(t *testing.T) {
	v, err := VerifyJWS(readFixture(t, "amd-epyc9005-asp-rom-sfr.jws"), fixtureKey(t, "ncc-group-ocp-safe-ecdsa-p521.pub"))
	if err != nil {
		t.Fatal(err)
	}
	codes := map[Code]bool{}
	for _, p := range Lint(v.Report) {
		codes[p.Code] = true
	}
	// The 2024 NCC report names the scope "scope" and sends it as "1".
	if !codes[CodeScopeLegacyKey] || !codes[CodeScopeType] {
		t.Errorf("lint codes %v, want scope-legacy-key and scope-type", codes)
	}
	if v.Report.Audit.ScopeNumber != 1 {
		t.Errorf("scope %d", v.Report.Audit.ScopeNumber)
	}
}
