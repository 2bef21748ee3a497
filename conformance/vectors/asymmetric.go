package vectors

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

type oaepFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		KeySize         int      `json:"keySize"`
		SHA             string   `json:"sha"`
		MGFSHA          string   `json:"mgfSha"`
		PrivateKeyPkcs8 hexBytes `json:"privateKeyPkcs8"`
		Tests           []struct {
			testCase
			Msg   hexBytes `json:"msg"`
			Ct    hexBytes `json:"ct"`
			Label hexBytes `json:"label"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runOAEP imports each RSA key (PKCS#8 through UnwrapKey) and decrypts:
// every invalid ciphertext must be DecryptFailed or InvalidLength and
// return nothing (spec: CMD-CRYPTO-DECRYPT; RFC 8017 §7.1.2).
func (d *dev) runOAEP(ctx context.Context) []*tally {
	var out []*tally
	for _, name := range wycheproofFiles("rsa_") {
		// The files of hashes the spec has (SHA-256, SHA-384 with MGF1 of
		// the same hash), and the mixed-parameter file.
		if !strings.Contains(name, "oaep") || !(strings.Contains(name, "sha256_mgf1sha256") ||
			strings.Contains(name, "sha384_mgf1sha384") || strings.Contains(name, "misc")) {
			continue
		}
		t := newTally(d.o, FamilyRSAOAEP, source(name))
		out = append(out, t)
		var f oaepFile
		if err := loadWycheproof(name, &f); err != nil {
			t.fail(0, "%v", err)
			continue
		}
		if strings.Contains(name, "three_primes") {
			t.skipAll(f.NumberOfTests, "multi-prime RSA key (the spec's RSA kinds are two-prime keys, FIPS 186-5 §A.1)")
			continue
		}
		if why := d.missing([]string{"alg.rsa", "key.unwrap"}, nil, nil); why != "" {
			t.skipAll(f.NumberOfTests, why)
			continue
		}
		for _, g := range f.TestGroups {
			alg := oaepAlgorithm(g.SHA, g.MGFSHA)
			kind := rsaKind(g.KeySize)
			var why string
			switch {
			case alg == 0:
				why = fmt.Sprintf("OAEP with %s and MGF1-%s (the API has OAEP with SHA-256 or SHA-384 and MGF1 of the same hash)", g.SHA, g.MGFSHA)
			case kind == 0:
				why = fmt.Sprintf("RSA-%d is no key kind of the spec", g.KeySize)
			default:
				why = d.missing(nil, []wire.KeyKind{kind}, []wire.Algorithm{alg})
			}
			if why != "" {
				t.skipAll(len(g.Tests), why)
				continue
			}
			r, err := d.importKey(ctx, kind, wire.KeyUsageDecrypt, g.PrivateKeyPkcs8)
			if err != nil {
				for _, v := range g.Tests {
					if t.admit() {
						t.fail(v.TcID, "import the vector's RSA key with UnwrapKey: %v", err)
					}
				}
				continue
			}
			for _, v := range g.Tests {
				if !t.admit() {
					continue
				}
				if len(v.Label) > maxAAD || len(v.Ct) == 0 {
					t.skip("label longer than the aad field, or empty ciphertext")
					continue
				}
				dec, err := d.s.Decrypt(ctx, &wire.DecryptRequest{KeyHandle: r.KeyHandle, Algorithm: alg, Ciphertext: v.Ct, AAD: nilIfEmpty(v.Label)})
				switch {
				case v.Result == resultInvalid:
					t.check(v.TcID, refused("Decrypt of an invalid RSA-OAEP ciphertext", err, rc.DecryptFailed, rc.InvalidLength))
				case err != nil:
					t.fail(v.TcID, "Decrypt of a valid RSA-OAEP ciphertext: %v", err)
				case !bytes.Equal(dec.Plaintext, v.Msg):
					t.fail(v.TcID, "Decrypt returned a wrong plaintext")
				default:
					t.pass()
				}
			}
			if err := d.drop(ctx, r.KeyHandle); err != nil {
				t.fail(0, "delete the RSA key: %v", err)
			}
		}
	}
	return out
}

func oaepAlgorithm(sha, mgf string) wire.Algorithm {
	switch {
	case sha == "SHA-256" && mgf == "SHA-256":
		return wire.AlgorithmRsaOaepSha256
	case sha == "SHA-384" && mgf == "SHA-384":
		return wire.AlgorithmRsaOaepSha384
	}
	return 0
}

func rsaKind(bits int) wire.KeyKind {
	switch bits {
	case 2048:
		return wire.KeyKindRsa2048
	case 3072:
		return wire.KeyKindRsa3072
	case 4096:
		return wire.KeyKindRsa4096
	}
	return 0
}

// runPublicOnly accounts for the ECDSA files, whose groups carry only a
// public key: Verify names a key of the partition, the protocol has no
// command that imports a public key alone (UnwrapKey takes private keys),
// and unlike RSA (rsa.go) no Wycheproof file carries the private half of
// any ECDSA test key, so none of them can reach the device. Only the files
// of curves, hashes and encodings the spec has are counted (ECDSA over
// P-256/384/521 with DER signatures).
var inSpec = regexp.MustCompile(`^ecdsa_secp(256|384|521)r1_sha(256|384|512)_test\.json$`)

func (d *dev) runPublicOnly(_ context.Context, family, prefix string) []*tally {
	var out []*tally
	for _, name := range wycheproofFiles(prefix) {
		if !inSpec.MatchString(name) {
			continue
		}
		t := newTally(d.o, family, source(name))
		n, err := countTests(name)
		if err != nil {
			t.fail(0, "%v", err)
		} else {
			t.skipAll(n, "public key only, with no published private key: Verify names a partition key and no command imports a public key")
		}
		out = append(out, t)
	}
	return out
}

type ecdhFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Curve string `json:"curve"`
		Tests []struct {
			testCase
			Public  hexBytes `json:"public"`
			Private hexBytes `json:"private"`
			Shared  hexBytes `json:"shared"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runECDH imports each private key (PKCS#8) and derives with the peer
// point of the vector: an invalid point must be InvalidPublicKey (spec:
// CMD-CRYPTO-ECDH, SP 800-56A r3 §5.6.2.3.4), and a valid one must give
// the expected shared secret, compared through checkSecret.
func (d *dev) runECDH(ctx context.Context) []*tally {
	var out []*tally
	for _, curve := range []struct {
		name  string
		kind  wire.KeyKind
		curve ecdh.Curve
	}{
		{"ecdh_secp256r1_ecpoint_test.json", wire.KeyKindEccP256, ecdh.P256()},
		{"ecdh_secp384r1_ecpoint_test.json", wire.KeyKindEccP384, ecdh.P384()},
		{"ecdh_secp521r1_ecpoint_test.json", wire.KeyKindEccP521, ecdh.P521()},
	} {
		t := newTally(d.o, FamilyECDH, source(curve.name))
		out = append(out, t)
		var f ecdhFile
		if err := loadWycheproof(curve.name, &f); err != nil {
			t.fail(0, "%v", err)
			continue
		}
		if why := d.missing([]string{"alg.ecdh", "alg.kdf", "alg.hmac", "key.unwrap"}, []wire.KeyKind{curve.kind}, nil); why != "" {
			t.skipAll(f.NumberOfTests, why)
			continue
		}
		keys := &keyCache{d: d}
		for _, g := range f.TestGroups {
			for _, v := range g.Tests {
				if !t.admit() {
					continue
				}
				der, err := ecPKCS8(curve.curve, v.Private)
				if err != nil {
					t.skip("private key not a scalar of the curve (" + err.Error() + ")")
					continue
				}
				if len(v.Public) < 65 || len(v.Public) > 133 {
					t.skip("peer point outside peer_public_key's 65..133 bytes (compressed or truncated)")
					continue
				}
				h, err := keys.get(ctx, curve.kind, wire.KeyUsageDerive, der)
				if err != nil {
					t.fail(v.TcID, "%v", err)
					continue
				}
				t.check(v.TcID, d.ecdhCase(ctx, h, v.Result, v.Public, v.Shared))
			}
		}
		if err := keys.release(ctx); err != nil {
			t.fail(0, "%v", err)
		}
	}
	return out
}

func (d *dev) ecdhCase(ctx context.Context, h uint32, result string, peer, shared []byte) error {
	r, err := d.s.EcdhDerive(ctx, &wire.EcdhDeriveRequest{KeyHandle: h, PeerPublicKey: peer, Usage: wire.KeyUsageDerive | sessionUsage})
	switch result {
	case resultInvalid:
		if err == nil {
			d.drop(ctx, r.KeyHandle)
		}
		return refused("EcdhDerive with an invalid peer point", err, rc.InvalidPublicKey, rc.InvalidArgument)
	case resultAcceptable:
		if err != nil {
			return refused("EcdhDerive with an acceptable peer point", err, rc.InvalidPublicKey, rc.InvalidArgument)
		}
	}
	if err != nil {
		return fmt.Errorf("EcdhDerive with a valid peer point: %w", err)
	}
	defer d.drop(ctx, r.KeyHandle)
	return d.checkSecret(ctx, r.KeyHandle, shared)
}

// ecPKCS8 builds the PKCS#8 encoding (RFC 5915, RFC 5208) of the private
// scalar of a Wycheproof ECDH vector, which may carry a leading zero byte.
func ecPKCS8(c ecdh.Curve, scalar []byte) ([]byte, error) {
	n := map[ecdh.Curve]int{ecdh.P256(): 32, ecdh.P384(): 48, ecdh.P521(): 66}[c]
	s := new(big.Int).SetBytes(scalar).FillBytes(make([]byte, n+8))
	for i := 0; i < 8; i++ {
		if s[i] != 0 {
			return nil, fmt.Errorf("scalar of %d bytes", len(scalar))
		}
	}
	k, err := c.NewPrivateKey(s[8:])
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

type eddsaFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		PublicKey struct {
			PK hexBytes `json:"pk"`
		} `json:"publicKey"`
		Tests []struct {
			testCase
			Msg hexBytes `json:"msg"`
			Sig hexBytes `json:"sig"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// knownEd25519Seeds are published private keys of public keys the
// Wycheproof Ed25519 file uses: the key of the original Wycheproof
// eddsa_test.json and the keys of RFC 8032 §7.1 TEST 1 to 3. Each is
// checked against its public key before use (the seed must derive it).
var knownEd25519Seeds = []string{
	"add4bb8103785baf9ac534258e8aaf65f5f1adb5ef5f3df19bb80ab989c4d64b",
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
}

// ed25519Seed returns the known seed of pk.
func ed25519Seed(pk []byte) []byte {
	for _, h := range knownEd25519Seeds {
		seed, err := hex.DecodeString(h)
		if err != nil {
			continue
		}
		if bytes.Equal(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), pk) {
			return seed
		}
	}
	return nil
}

// runEd25519 runs the Ed25519 verify vectors whose public key has a
// published private key: the key pair is imported and every signature
// verified on the device (an invalid one must be SignatureInvalid, spec:
// CMD-CRYPTO-VERIFY, IHSM-CRY-006); a valid signature must also be what the
// device's Sign returns, Ed25519 being deterministic (RFC 8032 §5.1.6).
func (d *dev) runEd25519(ctx context.Context) []*tally {
	const name = "ed25519_test.json"
	t := newTally(d.o, FamilyEd25519, source(name))
	var f eddsaFile
	if err := loadWycheproof(name, &f); err != nil {
		t.fail(0, "%v", err)
		return []*tally{t}
	}
	if why := d.missing([]string{"alg.ed25519", "key.unwrap"}, []wire.KeyKind{wire.KeyKindEd25519}, nil); why != "" {
		t.skipAll(f.NumberOfTests, why)
		return []*tally{t}
	}
	keys := &keyCache{d: d}
	for _, g := range f.TestGroups {
		seed := ed25519Seed(g.PublicKey.PK)
		if seed == nil {
			t.skipAll(len(g.Tests), "public key only: Verify names a partition key and no command imports a public key")
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
		if err != nil {
			t.fail(0, "%v", err)
			continue
		}
		for _, v := range g.Tests {
			if !t.admit() {
				continue
			}
			if len(v.Msg) == 0 || len(v.Msg) > maxMessage || len(v.Sig) == 0 {
				t.skip("empty message or signature (Verify's data and signature fields need at least 1 byte)")
				continue
			}
			h, err := keys.get(ctx, wire.KeyKindEd25519, wire.KeyUsageSign|wire.KeyUsageVerify, der)
			if err != nil {
				t.fail(v.TcID, "%v", err)
				continue
			}
			t.check(v.TcID, d.verifyCase(ctx, h, wire.AlgorithmEd25519, v.Result, v.Msg, v.Sig, true))
		}
	}
	if err := keys.release(ctx); err != nil {
		t.fail(0, "%v", err)
	}
	return []*tally{t}
}

// verifyCase verifies sig over data with the key under h; deterministic
// also signs data and compares with sig for valid vectors.
func (d *dev) verifyCase(ctx context.Context, h uint32, alg wire.Algorithm, result string, data, sig []byte, deterministic bool) error {
	err := d.s.Verify(ctx, &wire.VerifyRequest{KeyHandle: h, Algorithm: alg, Data: data, Signature: sig})
	if result == resultInvalid {
		return refused("Verify of an invalid signature", err, rc.SignatureInvalid)
	}
	if err != nil {
		return fmt.Errorf("Verify of a valid signature: %w", err)
	}
	if !deterministic {
		return nil
	}
	s, err := d.s.Sign(ctx, &wire.SignRequest{KeyHandle: h, Algorithm: alg, Data: data})
	if err != nil {
		return fmt.Errorf("Sign: %w", err)
	}
	if !bytes.Equal(s.Signature, sig) {
		return fmt.Errorf("Sign returned another signature than the deterministic one")
	}
	return nil
}
