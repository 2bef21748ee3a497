package vectors

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/openihsm/openihsm/spec/wire"
)

// keyCache keeps the last imported key so consecutive vectors with the
// same key import it once; it holds one key at a time so a run never
// nears the partition's max_keys.
type keyCache struct {
	d        *dev
	kind     wire.KeyKind
	usage    wire.KeyUsage
	material []byte
	handle   uint32
	public   []byte
	held     bool
}

// get returns the handle of material imported as kind with usage.
func (c *keyCache) get(ctx context.Context, kind wire.KeyKind, usage wire.KeyUsage, material []byte) (uint32, error) {
	if c.held && c.kind == kind && c.usage == usage && bytes.Equal(c.material, material) {
		return c.handle, nil
	}
	if err := c.release(ctx); err != nil {
		return 0, err
	}
	r, err := c.d.importKey(ctx, kind, usage, material)
	if err != nil {
		return 0, fmt.Errorf("import the key with UnwrapKey: %w", err)
	}
	c.kind, c.usage, c.material, c.handle, c.public, c.held = kind, usage, bytes.Clone(material), r.KeyHandle, r.PublicKey, true
	return c.handle, nil
}

// release deletes the held key.
func (c *keyCache) release(ctx context.Context) error {
	if !c.held {
		return nil
	}
	c.held = false
	if err := c.d.drop(ctx, c.handle); err != nil {
		return fmt.Errorf("delete the previous vector key: %w", err)
	}
	return nil
}

// aesKind is the KeyKind of an AES key of n bytes, or 0.
func aesKind(n int) wire.KeyKind {
	switch n {
	case 16:
		return wire.KeyKindAes128
	case 24:
		return wire.KeyKindAes192
	case 32:
		return wire.KeyKindAes256
	}
	return 0
}

// Fixed inputs of the checks below. They are public: the checks compare
// values derived from a secret, never the secret itself.
var (
	checkSalt    = []byte("OpenIHSM-v1 vectors salt")
	checkInfo    = []byte("OpenIHSM-v1 vectors info")
	checkMessage = []byte("OpenIHSM-v1 vectors check message")
	checkIV      = []byte("OpenIHSM-v1 ")[:12]
)

// checkSecret checks that the secret under handle (a Secret or HMAC kind
// with the Derive usage) equals want without exporting it: the device
// derives an HMAC-SHA-256 key with HKDF-SHA-256 (RFC 5869) and MACs a
// fixed message; the same is computed here from want. The derived key is
// deleted afterwards.
func (d *dev) checkSecret(ctx context.Context, handle uint32, want []byte) error {
	r, err := d.s.HkdfDerive(ctx, &wire.HkdfDeriveRequest{
		KeyHandle: handle, Hash: wire.HashAlgorithmSha256, Salt: checkSalt, Info: checkInfo,
		TargetKind: wire.KeyKindHmacSha256, Usage: wire.KeyUsageSign | sessionUsage,
	})
	if err != nil {
		return fmt.Errorf("derive a check key from the secret: %w", err)
	}
	defer d.drop(ctx, r.KeyHandle)
	okm, err := hkdf.Key(sha256.New, want, checkSalt, string(checkInfo), 32)
	if err != nil {
		return err
	}
	return d.checkHMAC(ctx, r.KeyHandle, okm)
}

// checkHMAC checks that the HMAC-SHA-256 key under handle is key, by
// comparing an Hmac of the device with one computed here.
func (d *dev) checkHMAC(ctx context.Context, handle uint32, key []byte) error {
	m, err := d.s.Hmac(ctx, &wire.HmacRequest{KeyHandle: handle, Message: checkMessage})
	if err != nil {
		return fmt.Errorf("Hmac with the derived key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(checkMessage)
	if !hmac.Equal(m.MAC, mac.Sum(nil)) {
		return fmt.Errorf("the device's secret differs from the expected value (HMAC check)")
	}
	return nil
}

// checkAES checks that the AES key under handle is key, by comparing an
// AES-GCM encryption under a caller IV (spec: CMD-CRYPTO-ENCRYPT; a caller
// IV is allowed, the response is then non-approved) with one computed here.
func (d *dev) checkAES(ctx context.Context, handle uint32, key []byte) error {
	r, err := d.s.Encrypt(ctx, &wire.EncryptRequest{KeyHandle: handle, Algorithm: wire.AlgorithmAesGcm, Plaintext: checkMessage, IV: checkIV})
	if err != nil {
		return fmt.Errorf("Encrypt with the derived key: %w", err)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(r.Ciphertext, g.Seal(nil, checkIV, checkMessage, nil)) {
		return fmt.Errorf("the device's key differs from the expected value (AES-GCM check)")
	}
	return nil
}
