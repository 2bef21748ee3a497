package vectors

import (
	"context"
	"crypto/hmac"
	"crypto/mlkem"
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

type hkdfFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Tests []struct {
			testCase
			IKM  hexBytes `json:"ikm"`
			Salt hexBytes `json:"salt"`
			Info hexBytes `json:"info"`
			Size int      `json:"size"`
			OKM  hexBytes `json:"okm"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// hkdfTarget is the key kind HkdfDerive makes for an output of n bytes
// (spec: CMD-CRYPTO-HKDF, target_kind fixes the length), or 0.
func hkdfTarget(n int) wire.KeyKind {
	switch n {
	case 16:
		return wire.KeyKindAes128
	case 24:
		return wire.KeyKindAes192
	case 32:
		return wire.KeyKindHmacSha256
	case 48:
		return wire.KeyKindHmacSha384
	case 64:
		return wire.KeyKindHmacSha512
	}
	return 0
}

// runHKDF imports each IKM as an HMAC key (Secret kinds cannot be
// imported, spec: CMD-KEYS-UNWRAP) and derives with the vector's hash,
// salt and info to the kind whose length is the vector's size; the
// derived key is compared through an HMAC or AES-GCM known answer.
func (d *dev) runHKDF(ctx context.Context) []*tally {
	var out []*tally
	for _, f := range []struct {
		name string
		hash wire.HashAlgorithm
	}{
		{"hkdf_sha1_test.json", 0},
		{"hkdf_sha256_test.json", wire.HashAlgorithmSha256},
		{"hkdf_sha384_test.json", wire.HashAlgorithmSha384},
		{"hkdf_sha512_test.json", wire.HashAlgorithmSha512},
	} {
		t := newTally(d.o, FamilyHKDF, source(f.name))
		out = append(out, t)
		var file hkdfFile
		if err := loadWycheproof(f.name, &file); err != nil {
			t.fail(0, "%v", err)
			continue
		}
		if f.hash == 0 {
			t.skipAll(file.NumberOfTests, "HKDF-SHA-1 is no HashAlgorithm of the spec")
			continue
		}
		if why := d.missing([]string{"alg.kdf", "alg.hmac", "key.unwrap"}, []wire.KeyKind{wire.KeyKindHmacSha256}, nil); why != "" {
			t.skipAll(file.NumberOfTests, why)
			continue
		}
		keys := &keyCache{d: d}
		for _, g := range file.TestGroups {
			for _, v := range g.Tests {
				if !t.admit() {
					continue
				}
				target := hkdfTarget(v.Size)
				switch {
				case v.Result != resultValid:
					t.skip("output length beyond HKDF's limit (the API fixes the length by target kind)")
					continue
				case len(v.IKM) < minHMACKeyLen || len(v.IKM) > maxHMACKeyLen:
					t.skip("IKM outside 14..128 bytes (it enters the device as an HMAC key)")
					continue
				case len(v.Salt) > 256 || len(v.Info) > 256:
					t.skip("salt or info longer than 256 bytes")
					continue
				case target == 0 || !containsKind(d.kinds, target):
					t.skip("output length no AES or HMAC key length the device claims")
					continue
				}
				h, err := keys.get(ctx, wire.KeyKindHmacSha256, wire.KeyUsageDerive, v.IKM)
				if err != nil {
					t.fail(v.TcID, "%v", err)
					continue
				}
				t.check(v.TcID, d.hkdfCase(ctx, h, f.hash, target, v.Salt, v.Info, v.OKM))
			}
		}
		if err := keys.release(ctx); err != nil {
			t.fail(0, "%v", err)
		}
	}
	return out
}

func (d *dev) hkdfCase(ctx context.Context, h uint32, hash wire.HashAlgorithm, target wire.KeyKind, salt, info, okm []byte) error {
	usage := wire.KeyUsageSign
	if aesKind(len(okm)) == target {
		usage = wire.KeyUsageEncrypt
	}
	// An empty salt is a salt of HashLen zero bytes (RFC 5869 §2.2), the
	// same HMAC key as no salt at all.
	r, err := d.s.HkdfDerive(ctx, &wire.HkdfDeriveRequest{
		KeyHandle: h, Hash: hash, Salt: nilIfEmpty(salt), Info: nilIfEmpty(info), TargetKind: target, Usage: usage | sessionUsage,
	})
	if err != nil {
		return fmt.Errorf("HkdfDerive: %w", err)
	}
	defer d.drop(ctx, r.KeyHandle)
	switch target {
	case wire.KeyKindAes128, wire.KeyKindAes192:
		return d.checkAES(ctx, r.KeyHandle, okm)
	case wire.KeyKindHmacSha256:
		return d.checkHMAC(ctx, r.KeyHandle, okm)
	}
	return d.checkHMACHash(ctx, r.KeyHandle, target, okm)
}

// checkHMACHash is checkHMAC for HMAC-SHA-384 and HMAC-SHA-512 keys.
func (d *dev) checkHMACHash(ctx context.Context, handle uint32, kind wire.KeyKind, key []byte) error {
	m, err := d.s.Hmac(ctx, &wire.HmacRequest{KeyHandle: handle, Message: checkMessage})
	if err != nil {
		return fmt.Errorf("Hmac with the derived key: %w", err)
	}
	want := hmacOf(kind, key, checkMessage)
	if want == nil || !hmac.Equal(m.MAC, want) {
		return fmt.Errorf("the device's derived key differs from the expected value (HMAC check)")
	}
	return nil
}

type mlkemFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		ParameterSet string `json:"parameterSet"`
		Tests        []struct {
			testCase
			Seed hexBytes `json:"seed"`
			EK   hexBytes `json:"ek"`
			C    hexBytes `json:"c"`
			K    hexBytes `json:"K"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runMLKEM imports each ML-KEM-768 key in its PKCS#8 seed form and
// decapsulates the vector's ciphertext: the shared secret (a Secret256 key)
// must be K, implicit rejection included (FIPS 203 §7.3); a ciphertext of
// the wrong length must be InvalidLength and a seed of the wrong length
// UnwrapFailed (spec: CMD-CRYPTO-DECAPSULATE, CMD-KEYS-UNWRAP). For valid
// vectors the device also encapsulates to the key and the suite
// decapsulates locally.
func (d *dev) runMLKEM(ctx context.Context) []*tally {
	const name = "mlkem_768_test.json"
	t := newTally(d.o, FamilyMLKEM, source(name))
	var f mlkemFile
	if err := loadWycheproof(name, &f); err != nil {
		t.fail(0, "%v", err)
		return []*tally{t}
	}
	if why := d.missing([]string{"alg.mlkem768", "alg.kdf", "alg.hmac", "key.unwrap"}, []wire.KeyKind{wire.KeyKindMlKem768}, nil); why != "" {
		t.skipAll(f.NumberOfTests, why)
		return []*tally{t}
	}
	keys := &keyCache{d: d}
	for _, g := range f.TestGroups {
		for _, v := range g.Tests {
			if !t.admit() {
				continue
			}
			if len(v.Seed) != mlkem.SeedSize {
				t.check(v.TcID, d.badSeed(ctx, v.Seed))
				continue
			}
			if len(v.C) == 0 || len(v.C) > 2048 {
				t.skip("ciphertext outside the ciphertext field's 1..2048 bytes")
				continue
			}
			h, err := keys.get(ctx, wire.KeyKindMlKem768, wire.KeyUsageDerive, pqPKCS8(oidMLKEM768, v.Seed))
			if err != nil {
				t.fail(v.TcID, "%v", err)
				continue
			}
			t.check(v.TcID, d.mlkemCase(ctx, h, v.Result, v.Seed, v.C, v.K))
		}
	}
	if err := keys.release(ctx); err != nil {
		t.fail(0, "%v", err)
	}
	return []*tally{t}
}

// badSeed sends a PKCS#8 seed form of the wrong length, which must not
// import.
func (d *dev) badSeed(ctx context.Context, seed []byte) error {
	r, err := d.importKey(ctx, wire.KeyKindMlKem768, wire.KeyUsageDerive, pqPKCS8(oidMLKEM768, seed))
	if err == nil {
		d.drop(ctx, r.KeyHandle)
	}
	return refused("UnwrapKey of an ML-KEM-768 seed of the wrong length", err, rc.UnwrapFailed)
}

func (d *dev) mlkemCase(ctx context.Context, h uint32, result string, seed, c, k []byte) error {
	r, err := d.s.Decapsulate(ctx, &wire.DecapsulateRequest{KeyHandle: h, Ciphertext: c, Usage: wire.KeyUsageDerive | sessionUsage})
	if result == resultInvalid {
		if err == nil {
			d.drop(ctx, r.KeyHandle)
		}
		return refused("Decapsulate of a ciphertext of the wrong length", err, rc.InvalidLength)
	}
	if err != nil {
		return fmt.Errorf("Decapsulate: %w", err)
	}
	err = d.checkSecret(ctx, r.KeyHandle, k)
	d.drop(ctx, r.KeyHandle)
	if err != nil {
		return fmt.Errorf("Decapsulate: %w", err)
	}
	if result != resultValid {
		return nil
	}
	e, err := d.s.Encapsulate(ctx, &wire.EncapsulateRequest{KeyHandle: h, Usage: wire.KeyUsageDerive | sessionUsage})
	if err != nil {
		return fmt.Errorf("Encapsulate: %w", err)
	}
	defer d.drop(ctx, e.KeyHandle)
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return err
	}
	ss, err := dk.Decapsulate(e.Ciphertext)
	if err != nil {
		return fmt.Errorf("Encapsulate returned a ciphertext that does not decapsulate: %w", err)
	}
	if err := d.checkSecret(ctx, e.KeyHandle, ss); err != nil {
		return fmt.Errorf("Encapsulate: %w", err)
	}
	return nil
}

func hmacOf(kind wire.KeyKind, key, msg []byte) []byte {
	h := hashOf(kind)
	if h == nil {
		return nil
	}
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}
