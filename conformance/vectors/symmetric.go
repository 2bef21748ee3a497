package vectors

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Field limits of the spec the vectors must fit (commands/crypto.yaml,
// commands/keys.yaml).
const (
	maxMessage    = 16384 // plaintext, data, message
	maxAAD        = 1024  // aad (GCM) and OAEP label
	minWrapped    = 400   // UnwrapKey wrapped
	gcmIVLen      = 12
	gcmTagLen     = 16
	minHMACKeyLen = 14 // SP 800-107r1 §5.3.4, 112 bits
	maxHMACKeyLen = 128
)

type gcmFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Tests []struct {
			testCase
			Key hexBytes `json:"key"`
			IV  hexBytes `json:"iv"`
			AAD hexBytes `json:"aad"`
			Msg hexBytes `json:"msg"`
			Ct  hexBytes `json:"ct"`
			Tag hexBytes `json:"tag"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runGCM imports each AES key and runs Decrypt (and, for valid vectors,
// Encrypt under the vector's IV): a modified tag, ciphertext, AAD or IV
// must be DecryptFailed (spec: CMD-CRYPTO-DECRYPT, IHSM-CRY-011).
func (d *dev) runGCM(ctx context.Context) []*tally {
	const name = "aes_gcm_test.json"
	t := newTally(d.o, FamilyAESGCM, source(name))
	var f gcmFile
	if err := loadWycheproof(name, &f); err != nil {
		t.fail(0, "%v", err)
		return []*tally{t}
	}
	if why := d.missing([]string{"alg.aes", "key.unwrap"}, nil, []wire.Algorithm{wire.AlgorithmAesGcm}); why != "" {
		t.skipAll(f.NumberOfTests, why)
		return []*tally{t}
	}
	keys := &keyCache{d: d}
	for _, g := range f.TestGroups {
		for _, v := range g.Tests {
			if !t.admit() {
				continue
			}
			kind := aesKind(len(v.Key))
			switch {
			case len(v.IV) != gcmIVLen:
				t.skip("IV not 12 bytes (Encrypt and Decrypt take a 12-byte GCM IV)")
				continue
			case len(v.Tag) != gcmTagLen:
				t.skip("tag not 16 bytes (the API appends and checks a 16-byte tag)")
				continue
			case len(v.AAD) > maxAAD || len(v.Msg) > maxMessage:
				t.skip("AAD or message longer than the API's fields")
				continue
			case kind == 0:
				t.skip("key length not an AES key kind")
				continue
			case !containsKind(d.kinds, kind):
				t.skip("the device does not claim key kind " + kind.String())
				continue
			}
			h, err := keys.get(ctx, kind, wire.KeyUsageEncrypt|wire.KeyUsageDecrypt, v.Key)
			if err != nil {
				t.fail(v.TcID, "%v", err)
				continue
			}
			t.check(v.TcID, d.gcmCase(ctx, h, v.Result, v.IV, v.AAD, v.Msg, append(bytes.Clone(v.Ct), v.Tag...)))
		}
	}
	if err := keys.release(ctx); err != nil {
		t.fail(0, "%v", err)
	}
	return []*tally{t}
}

func containsKind(ks []wire.KeyKind, k wire.KeyKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func (d *dev) gcmCase(ctx context.Context, h uint32, result string, iv, aad, msg, ct []byte) error {
	dec, err := d.s.Decrypt(ctx, &wire.DecryptRequest{KeyHandle: h, Algorithm: wire.AlgorithmAesGcm, Ciphertext: ct, IV: iv, AAD: nilIfEmpty(aad)})
	if result == resultInvalid {
		return refused("Decrypt of an invalid AES-GCM ciphertext", err, rc.DecryptFailed, rc.InvalidLength)
	}
	if err != nil {
		return fmt.Errorf("Decrypt of a valid AES-GCM ciphertext: %w", err)
	}
	if !bytes.Equal(dec.Plaintext, msg) {
		return fmt.Errorf("Decrypt returned a wrong plaintext")
	}
	enc, err := d.s.Encrypt(ctx, &wire.EncryptRequest{KeyHandle: h, Algorithm: wire.AlgorithmAesGcm, Plaintext: msg, IV: iv, AAD: nilIfEmpty(aad)})
	if err != nil {
		return fmt.Errorf("Encrypt under the vector's IV: %w", err)
	}
	if !bytes.Equal(enc.Ciphertext, ct) {
		return fmt.Errorf("Encrypt returned a wrong ciphertext or tag")
	}
	return nil
}

// nilIfEmpty maps an empty field to an absent one: the spec's optional
// byte fields have a minimum length of 1 and absence means empty.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

type kwpFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Tests []struct {
			testCase
			Key hexBytes `json:"key"`
			Msg hexBytes `json:"msg"`
			Ct  hexBytes `json:"ct"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// runKWP runs the AES-KWP vectors twice: through Decrypt and Encrypt with
// AesKwp under the imported KEK (RFC 5649; SP 800-38F §6.3), and through
// UnwrapKey itself, whose second layer is the same KWP under the
// ephemeral AES-256 key the caller chooses (spec: CMD-KEYS-UNWRAP) — so a
// 256-bit vector KEK can be that key, and an invalid wrapping must be
// UnwrapFailed.
func (d *dev) runKWP(ctx context.Context) []*tally {
	const name = "aes_kwp_test.json"
	t := newTally(d.o, FamilyAESKWP, source(name))
	u := newTally(d.o, FamilyAESKWP, source(name)+"#UnwrapKey")
	var f kwpFile
	if err := loadWycheproof(name, &f); err != nil {
		t.fail(0, "%v", err)
		return []*tally{t}
	}
	if why := d.missing([]string{"alg.aes", "key.unwrap"}, nil, []wire.Algorithm{wire.AlgorithmAesKwp}); why != "" {
		t.skipAll(f.NumberOfTests, why)
		u.skipAll(f.NumberOfTests, why)
		return []*tally{t, u}
	}
	keys := &keyCache{d: d}
	for _, g := range f.TestGroups {
		for _, v := range g.Tests {
			if t.admit() {
				kind := aesKind(len(v.Key))
				switch {
				case kind == 0 || !containsKind(d.kinds, kind):
					t.skip("KEK length not an AES key kind the device claims")
				case len(v.Ct) == 0 || len(v.Ct) > maxMessage || len(v.Msg) > maxMessage:
					t.skip("ciphertext empty or longer than the API's fields")
				default:
					h, err := keys.get(ctx, kind, wire.KeyUsageWrap|wire.KeyUsageUnwrap, v.Key)
					if err != nil {
						t.fail(v.TcID, "%v", err)
					} else {
						t.check(v.TcID, d.kwpCase(ctx, h, v.Result, v.Msg, v.Ct))
					}
				}
			}
			if u.admit() {
				switch {
				case len(v.Key) != 32:
					u.skip("KEK not AES-256 (UnwrapKey's ephemeral key is AES-256)")
				case v.Result != resultInvalid && (len(v.Msg) < minHMACKeyLen || len(v.Msg) > maxHMACKeyLen):
					u.skip("wrapped bytes are no key of any kind (HMAC keys are 14..128 bytes)")
				case wrappedLen(d.unwrapKey, v.Ct) < minWrapped:
					u.skip("wrapped input shorter than UnwrapKey's 400-byte minimum")
				default:
					u.check(v.TcID, d.unwrapKWPCase(ctx, v.Result, v.Key, v.Msg, v.Ct))
				}
			}
		}
	}
	if err := keys.release(ctx); err != nil {
		t.fail(0, "%v", err)
	}
	return []*tally{t, u}
}

func (d *dev) kwpCase(ctx context.Context, h uint32, result string, msg, ct []byte) error {
	dec, err := d.s.Decrypt(ctx, &wire.DecryptRequest{KeyHandle: h, Algorithm: wire.AlgorithmAesKwp, Ciphertext: ct})
	if result == resultInvalid {
		return refused("Decrypt of an invalid AES-KWP ciphertext", err, rc.DecryptFailed, rc.InvalidLength)
	}
	if err != nil {
		return fmt.Errorf("Decrypt of a valid AES-KWP ciphertext: %w", err)
	}
	if !bytes.Equal(dec.Plaintext, msg) {
		return fmt.Errorf("Decrypt returned a wrong plaintext")
	}
	enc, err := d.s.Encrypt(ctx, &wire.EncryptRequest{KeyHandle: h, Algorithm: wire.AlgorithmAesKwp, Plaintext: msg})
	if err != nil {
		return fmt.Errorf("Encrypt with AES-KWP: %w", err)
	}
	if !bytes.Equal(enc.Ciphertext, ct) {
		return fmt.Errorf("Encrypt returned a wrong AES-KWP ciphertext")
	}
	return nil
}

func wrappedLen(pub *rsa.PublicKey, ct []byte) int { return pub.Size() + len(ct) }

// unwrapKWPCase sends RSA-OAEP(kek) || ct to UnwrapKey as an HMAC key: a
// valid vector must import and MAC as its msg; an invalid one must be
// UnwrapFailed.
func (d *dev) unwrapKWPCase(ctx context.Context, result string, kek, msg, ct []byte) error {
	head, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, d.unwrapKey, kek, nil)
	if err != nil {
		return err
	}
	r, err := d.s.UnwrapKey(ctx, &wire.UnwrapKeyRequest{
		Wrapped: append(head, ct...), Kind: wire.KeyKindHmacSha256, Usage: wire.KeyUsageSign | sessionUsage,
	})
	if result == resultInvalid {
		if err == nil {
			d.drop(ctx, r.KeyHandle)
		}
		return refused("UnwrapKey of an invalid AES-KWP wrapping", err, rc.UnwrapFailed)
	}
	if err != nil {
		return fmt.Errorf("UnwrapKey of a valid AES-KWP wrapping: %w", err)
	}
	defer d.drop(ctx, r.KeyHandle)
	return d.checkHMAC(ctx, r.KeyHandle, msg)
}
