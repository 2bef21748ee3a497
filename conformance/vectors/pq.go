package vectors

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"hash"

	"github.com/openihsm/openihsm/spec/wire"
)

// Object identifiers of NIST's CSOR registry (FIPS 204, FIPS 203).
var (
	oidMLDSA65  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLKEM768 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 2}
)

// pqPKCS8 encodes a seed in the PKCS#8 seed form of the IETF LAMPS ML-DSA
// and ML-KEM private key formats: privateKey holds "[0] IMPLICIT OCTET
// STRING" (the form UnwrapKey takes, spec: CMD-KEYS-UNWRAP).
func pqPKCS8(oid asn1.ObjectIdentifier, seed []byte) []byte {
	inner, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed})
	if err != nil {
		return nil
	}
	out, err := asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: oid}, inner})
	if err != nil {
		return nil
	}
	return out
}

func hashOf(kind wire.KeyKind) func() hash.Hash {
	switch kind {
	case wire.KeyKindHmacSha256:
		return sha256.New
	case wire.KeyKindHmacSha384:
		return sha512.New384
	case wire.KeyKindHmacSha512:
		return sha512.New
	}
	return nil
}

type mldsaTest struct {
	testCase
	Msg hexBytes `json:"msg"`
	Ctx hexBytes `json:"ctx"`
	Sig hexBytes `json:"sig"`
	Mu  hexBytes `json:"mu"`
}

type mldsaSignFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		PublicKey       hexBytes    `json:"publicKey"`
		PrivateKeyPkcs8 hexBytes    `json:"privateKeyPkcs8"`
		PrivateSeed     hexBytes    `json:"privateSeed"`
		Tests           []mldsaTest `json:"tests"`
	} `json:"testGroups"`
}

type mldsaVerifyFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		PublicKey hexBytes    `json:"publicKey"`
		Tests     []mldsaTest `json:"tests"`
	} `json:"testGroups"`
}

// runMLDSA imports the ML-DSA-65 keys of the seed signing file (PKCS#8
// seed form) and verifies on the device the signatures of that file and
// of the verify file whose public key is one of them; an invalid signature
// must be SignatureInvalid (spec: CMD-CRYPTO-VERIFY). Signing is hedged on
// the device (FIPS 204 §3.4), so signatures are verified, not compared.
// The API signs with the empty context, so vectors with a context string
// or an external mu are skipped.
func (d *dev) runMLDSA(ctx context.Context) []*tally {
	const signName, verifyName = "mldsa_65_sign_seed_test.json", "mldsa_65_verify_test.json"
	ts := newTally(d.o, FamilyMLDSA, source(signName))
	tv := newTally(d.o, FamilyMLDSA, source(verifyName))
	var sf mldsaSignFile
	var vf mldsaVerifyFile
	if err := loadWycheproof(signName, &sf); err != nil {
		ts.fail(0, "%v", err)
		return []*tally{ts}
	}
	if err := loadWycheproof(verifyName, &vf); err != nil {
		tv.fail(0, "%v", err)
		return []*tally{ts, tv}
	}
	if why := d.missing([]string{"alg.mldsa65", "key.unwrap"}, []wire.KeyKind{wire.KeyKindMlDsa65}, []wire.Algorithm{wire.AlgorithmMlDsa65}); why != "" {
		ts.skipAll(sf.NumberOfTests, why)
		tv.skipAll(vf.NumberOfTests, why)
		return []*tally{ts, tv}
	}
	private := map[string][]byte{}
	for _, g := range sf.TestGroups {
		der := g.PrivateKeyPkcs8
		if len(der) == 0 && len(g.PrivateSeed) > 0 {
			der = pqPKCS8(oidMLDSA65, g.PrivateSeed)
		}
		if len(der) > 0 {
			private[string(g.PublicKey)] = der
		}
	}
	keys := &keyCache{d: d}
	run := func(t *tally, pub []byte, tests []mldsaTest) {
		der, ok := private[string(pub)]
		if !ok {
			t.skipAll(len(tests), "public key only: Verify names a partition key and no command imports a public key")
			return
		}
		for _, v := range tests {
			if !t.admit() {
				continue
			}
			switch {
			case len(v.Ctx) > 0:
				t.skip("context string (the API signs and verifies with the empty context)")
				continue
			case v.Msg == nil || len(v.Msg) == 0 || len(v.Msg) > maxMessage:
				t.skip("external mu, or a message outside the data field's 1..16384 bytes")
				continue
			case len(v.Sig) == 0:
				t.skip("no signature to verify (a signing-only vector)")
				continue
			case len(v.Sig) > 4096:
				t.skip("signature longer than the signature field's 4096 bytes")
				continue
			}
			h, err := keys.get(ctx, wire.KeyKindMlDsa65, wire.KeyUsageSign|wire.KeyUsageVerify, der)
			if err != nil {
				t.fail(v.TcID, "%v", err)
				continue
			}
			t.check(v.TcID, d.verifyCase(ctx, h, wire.AlgorithmMlDsa65, v.Result, v.Msg, v.Sig, false))
		}
	}
	for _, g := range sf.TestGroups {
		run(ts, g.PublicKey, g.Tests)
	}
	for _, g := range vf.TestGroups {
		run(tv, g.PublicKey, g.Tests)
	}
	if err := keys.release(ctx); err != nil {
		tv.fail(0, "%v", err)
	}
	return []*tally{ts, tv}
}
