//go:build !ihsmfirmware

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/openihsm/openihsm/spec/wire"
)

// hmac computes the HMAC of --in with an HMAC key (CMD-CRYPTO-HMAC). The
// MAC is the user's output, written as the device returns it.
func (k *keyCmd) hmac(ctx context.Context, s *devSession, handle uint32) error {
	msg, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	r, err := call(ctx, s, s.Hmac, &wire.HmacRequest{KeyHandle: handle, Message: msg})
	if err != nil {
		return err
	}
	return writeOut(k.out, k.stdout, r.MAC)
}

// derive runs the commands whose result is a new key that stays in the
// device: ML-KEM-768 encapsulation and decapsulation and ECDH give a shared
// secret, HKDF and KBKDF an AES or HMAC key (spec: commands/crypto.yaml).
// What leaves is the new key's handle and masked blob, and the ML-KEM
// ciphertext.
func (k *keyCmd) derive(ctx context.Context, s *devSession, handle uint32) error {
	var kind wire.KeyKind
	switch k.sub {
	case "encapsulate", "decapsulate":
		kind = wire.KeyKindSecret256
	case "ecdh":
		// The secret's kind follows the curve of the key; the device says
		// which in the key's public data.
		info, err := call(ctx, s, s.GetPublicKey, &wire.GetPublicKeyRequest{KeyHandle: handle})
		if err != nil {
			return err
		}
		kind = ecdhSecretKind(info.Kind)
	default:
		t, err := parseKind(k.targetKind)
		if err != nil {
			return hsmUsage(k.fs, "--target-kind: %v", err)
		}
		kind = t
	}
	usage, tag, err := k.policy(kind)
	if err != nil {
		return err
	}
	var newKey uint32
	var masked []byte
	switch k.sub {
	case "encapsulate":
		r, err := call(ctx, s, s.Encapsulate, &wire.EncapsulateRequest{KeyHandle: handle, Usage: usage, Tag: tag, Label: k.label})
		if err != nil {
			return err
		}
		if err := os.WriteFile(k.out, r.Ciphertext, 0o644); err != nil {
			return err
		}
		newKey, masked = r.KeyHandle, r.MaskedKey
	case "decapsulate":
		ct, err := os.ReadFile(k.in)
		if err != nil {
			return err
		}
		r, err := call(ctx, s, s.Decapsulate, &wire.DecapsulateRequest{KeyHandle: handle, Ciphertext: ct, Usage: usage, Tag: tag, Label: k.label})
		if err != nil {
			return err
		}
		newKey, masked = r.KeyHandle, r.MaskedKey
	case "ecdh":
		peer, err := readPeer(k.peer)
		if err != nil {
			return fmt.Errorf("--peer: %w", err)
		}
		r, err := call(ctx, s, s.EcdhDerive, &wire.EcdhDeriveRequest{KeyHandle: handle, PeerPublicKey: peer, Usage: usage, Tag: tag, Label: k.label})
		if err != nil {
			return err
		}
		newKey, masked = r.KeyHandle, r.MaskedKey
	case "hkdf", "kbkdf":
		h, err := parseHash(k.hash)
		if err != nil {
			return hsmUsage(k.fs, "--hash: %v", err)
		}
		a, b, err := k.kdfInputs()
		if err != nil {
			return err
		}
		if k.sub == "hkdf" {
			r, err := call(ctx, s, s.HkdfDerive, &wire.HkdfDeriveRequest{KeyHandle: handle, Hash: h, Salt: a, Info: b,
				TargetKind: kind, Usage: usage, Tag: tag, Label: k.label})
			if err != nil {
				return err
			}
			newKey, masked = r.KeyHandle, r.MaskedKey
		} else {
			r, err := call(ctx, s, s.KbkdfDerive, &wire.KbkdfDeriveRequest{KeyHandle: handle, Hash: h, KDFLabel: a, Context: b,
				TargetKind: kind, Usage: usage, Tag: tag, Label: k.label})
			if err != nil {
				return err
			}
			newKey, masked = r.KeyHandle, r.MaskedKey
		}
	}
	return k.created(newKey, kind, nil, masked)
}

// kdfInputs decodes the hex inputs of hkdf (salt, info) or kbkdf (label,
// context); an empty flag is an absent field.
func (k *keyCmd) kdfInputs() (a, b []byte, err error) {
	names, vals := [2]string{"salt", "info"}, [2]string{k.salt, k.info}
	if k.sub == "kbkdf" {
		names, vals = [2]string{"kdf-label", "context"}, [2]string{k.kdfLabel, k.context}
	}
	var out [2][]byte
	for i, v := range vals {
		if v == "" {
			continue
		}
		d, err := hex.DecodeString(v)
		if err != nil {
			return nil, nil, hsmUsage(k.fs, "--%s: not hex: %v", names[i], err)
		}
		out[i] = d
	}
	return out[0], out[1], nil
}

// ecdhSecretKind is the kind of the shared secret ECDH makes with a key of
// kind k (spec: CMD-CRYPTO-ECDH); the device refuses other kinds itself.
func ecdhSecretKind(k wire.KeyKind) wire.KeyKind {
	switch k {
	case wire.KeyKindEccP384:
		return wire.KeyKindSecret384
	case wire.KeyKindEccP521:
		return wire.KeyKindSecret521
	}
	return wire.KeyKindSecret256
}

// readPeer reads an EC public key as EcdhDerive takes it, an uncompressed
// SEC 1 point, from PEM or DER SubjectPublicKeyInfo or the point itself.
func readPeer(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q is not a PUBLIC KEY", blk.Type)
		}
		der = blk.Bytes
	} else if len(b) > 0 && b[0] == 4 {
		return b, nil
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not an EC public key (PEM, DER SubjectPublicKeyInfo or uncompressed SEC 1 point): %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an EC public key")
	}
	e, err := ec.ECDH()
	if err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

func parseHash(s string) (wire.HashAlgorithm, error) {
	var names []string
	for _, v := range wire.HashAlgorithmValues() {
		if normName(v.String()) == normName(s) {
			return v, nil
		}
		names = append(names, v.String())
	}
	return 0, fmt.Errorf("unknown hash %q (one of %s)", s, strings.Join(names, ", "))
}
