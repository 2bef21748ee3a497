package vectors

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"regexp"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

type rsaSigFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		KeySize   int    `json:"keySize"`
		SHA       string `json:"sha"`
		MGFSHA    string `json:"mgfSha"`
		SLen      int    `json:"sLen"`
		PublicKey struct {
			Modulus        hexBytes `json:"modulus"`
			PublicExponent hexBytes `json:"publicExponent"`
		} `json:"publicKey"`
		PrivateKeyPkcs8 hexBytes `json:"privateKeyPkcs8"`
		Tests           []struct {
			testCase
			Msg hexBytes `json:"msg"`
			Sig hexBytes `json:"sig"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// The RSA signature files of the spec's sizes and hashes: PKCS #1 v1.5
// verification and generation, and RSASSA-PSS with MGF1 of the same hash
// and a salt as long as the hash (spec: IHSM-CRY-002).
var (
	pkcs1Files = regexp.MustCompile(`^rsa_(signature_(2048|3072|4096)_sha(256|384|512)|pkcs1_(2048|3072|4096)_sig_gen)_test\.json$`)
	pssFiles   = regexp.MustCompile(`^rsa_pss_(2048|3072|4096)_sha(256_mgf1_32|384_mgf1_48|512_mgf1_64)_test\.json$`)
)

// rsaKeyID names an RSA public key by its modulus and exponent.
func rsaKeyID(n, e *big.Int) string { return n.Text(16) + ":" + e.Text(16) }

// rsaPrivateKeys indexes the two-prime RSA private keys (PKCS #8) that
// the Wycheproof OAEP and PKCS #1 files carry by their public key.
// Wycheproof uses the same keys across files, so most groups of the
// signature verification files, which carry only a public key, name a key
// whose private half is known: imported with UnwrapKey, it lets the
// device's Verify meet every invalid signature of those files.
func rsaPrivateKeys() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, prefix := range []string{"rsa_oaep_", "rsa_pkcs1_"} {
		for _, name := range wycheproofFiles(prefix) {
			var f struct {
				TestGroups []struct {
					PrivateKeyPkcs8 hexBytes `json:"privateKeyPkcs8"`
				} `json:"testGroups"`
			}
			if err := loadWycheproof(name, &f); err != nil {
				return nil, err
			}
			for _, g := range f.TestGroups {
				if len(g.PrivateKeyPkcs8) == 0 {
					continue
				}
				p, err := x509.ParsePKCS8PrivateKey(g.PrivateKeyPkcs8)
				k, ok := p.(*rsa.PrivateKey)
				if err != nil || !ok || len(k.Primes) != 2 {
					continue
				}
				out[rsaKeyID(k.N, big.NewInt(int64(k.E)))] = g.PrivateKeyPkcs8
			}
		}
	}
	return out, nil
}

var wycheproofHashes = map[string]crypto.Hash{"SHA-256": crypto.SHA256, "SHA-384": crypto.SHA384, "SHA-512": crypto.SHA512}

// rsaAlgorithm is the Algorithm of a group, or 0 and why not.
func rsaAlgorithm(pss bool, sha, mgf string, sLen int) (wire.Algorithm, crypto.Hash, string) {
	h, ok := wycheproofHashes[sha]
	if !ok {
		return 0, 0, sha + " is no hash of the spec's RSA algorithms"
	}
	if !pss {
		return map[crypto.Hash]wire.Algorithm{
			crypto.SHA256: wire.AlgorithmRsaPkcs1Sha256, crypto.SHA384: wire.AlgorithmRsaPkcs1Sha384, crypto.SHA512: wire.AlgorithmRsaPkcs1Sha512,
		}[h], h, ""
	}
	if mgf != sha || sLen != h.Size() {
		return 0, 0, fmt.Sprintf("RSASSA-PSS with MGF1-%s and a %d-byte salt (the spec's PSS uses MGF1 of the hash and a salt as long as the hash)", mgf, sLen)
	}
	return map[crypto.Hash]wire.Algorithm{
		crypto.SHA256: wire.AlgorithmRsaPssSha256, crypto.SHA384: wire.AlgorithmRsaPssSha384, crypto.SHA512: wire.AlgorithmRsaPssSha512,
	}[h], h, ""
}

// runRSASignatures runs the RSA signature files of family (FamilyRSAPKCS1
// or FamilyRSAPSS) through the device: the group's private key is
// imported with UnwrapKey (from the group itself, or from another
// Wycheproof file that carries the same key), each message is hashed here
// and the signature verified on the device: a valid one must verify, an
// invalid one must be SignatureInvalid (spec: CMD-CRYPTO-VERIFY,
// IHSM-CRY-005, IHSM-CRY-006), and an acceptable one may be either.
// PKCS #1 v1.5 is deterministic, so a valid signature must also be what
// the device's Sign returns (RFC 8017 §8.2.1).
func (d *dev) runRSASignatures(ctx context.Context, family string) []*tally {
	files, pss := pkcs1Files, false
	if family == FamilyRSAPSS {
		files, pss = pssFiles, true
	}
	var out []*tally
	var known map[string][]byte
	for _, name := range wycheproofFiles("rsa_") {
		if !files.MatchString(name) {
			continue
		}
		t := newTally(d.o, family, source(name))
		out = append(out, t)
		var f rsaSigFile
		if err := loadWycheproof(name, &f); err != nil {
			t.fail(0, "%v", err)
			continue
		}
		if why := d.missing([]string{"alg.rsa", "key.unwrap"}, nil, nil); why != "" {
			t.skipAll(f.NumberOfTests, why)
			continue
		}
		if known == nil {
			var err error
			if known, err = rsaPrivateKeys(); err != nil {
				t.fail(0, "%v", err)
				continue
			}
		}
		keys := &keyCache{d: d}
		for _, g := range f.TestGroups {
			alg, h, why := rsaAlgorithm(pss, g.SHA, g.MGFSHA, g.SLen)
			kind := rsaKind(g.KeySize)
			der := []byte(g.PrivateKeyPkcs8)
			if der == nil {
				n, e := new(big.Int).SetBytes(g.PublicKey.Modulus), new(big.Int).SetBytes(g.PublicKey.PublicExponent)
				der = known[rsaKeyID(n, e)]
			}
			switch {
			case why != "":
			case kind == 0:
				why = fmt.Sprintf("RSA-%d is no key kind of the spec", g.KeySize)
			case der == nil:
				why = "public key only, and no Wycheproof file carries its private key (Verify names a partition key; UnwrapKey imports private keys)"
			default:
				why = d.missing(nil, []wire.KeyKind{kind}, []wire.Algorithm{alg})
			}
			if why != "" {
				t.skipAll(len(g.Tests), why)
				continue
			}
			for _, v := range g.Tests {
				if !t.admit() {
					continue
				}
				if len(v.Sig) == 0 || len(v.Sig) > maxSignature {
					t.skip("signature outside Verify's 1..4096 bytes")
					continue
				}
				hk, err := keys.get(ctx, kind, wire.KeyUsageSign|wire.KeyUsageVerify, der)
				if err != nil {
					t.fail(v.TcID, "%v", err)
					continue
				}
				hh := h.New()
				hh.Write(v.Msg)
				t.check(v.TcID, d.rsaVerifyCase(ctx, hk, alg, v.Result, hh.Sum(nil), v.Sig, !pss))
			}
		}
		if err := keys.release(ctx); err != nil {
			t.fail(0, "%v", err)
		}
	}
	return out
}

// maxSignature is the size limit of Verify's signature field.
const maxSignature = 4096

func (d *dev) rsaVerifyCase(ctx context.Context, h uint32, alg wire.Algorithm, result string, digest, sig []byte, deterministic bool) error {
	if result != resultAcceptable {
		return d.verifyCase(ctx, h, alg, result, digest, sig, deterministic)
	}
	err := d.s.Verify(ctx, &wire.VerifyRequest{KeyHandle: h, Algorithm: alg, Data: digest, Signature: sig})
	var code rc.Code
	if err != nil && !(errors.As(err, &code) && code == rc.SignatureInvalid) {
		return fmt.Errorf("Verify of an acceptable signature: %w", err)
	}
	return nil
}
