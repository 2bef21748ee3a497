package steps

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strconv"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// registerGenerated installs the steps the generated scenarios of
// features/generated need beyond the rest of the vocabulary (which has
// "I create keys up to the limit" for max_keys): altering a saved byte
// string (a masked key or a wrapped key) at a known offset, wrapping key
// material for UnwrapKey, and sending a request of one partition's session
// to another partition.
//
//	When I set byte <n> of @<v> to <0xNN> as @<w>       n < 0 counts from the end
//	When I flip byte <n> of @<v> as @<w>
//	When I truncate @<v> to <n> bytes as @<w>
//	Given a key of kind <Kind> wrapped for the partition as @<w>
//	When I send <Command> in session "<s>" of partition <P>
func registerGenerated(st func(string, any)) {
	st(`^I set byte (-?\d+) of @(\w+) to (0x[0-9A-Fa-f]{2}) as @(\w+)$`,
		func(ctx context.Context, at, from, v, as string) error {
			n, err := strconv.ParseUint(v, 0, 8)
			if err != nil {
				return err
			}
			return State(ctx).alterByte(at, from, as, func(byte) byte { return byte(n) })
		})
	st(`^I flip byte (-?\d+) of @(\w+) as @(\w+)$`,
		func(ctx context.Context, at, from, as string) error {
			return State(ctx).alterByte(at, from, as, func(b byte) byte { return b ^ 0x01 })
		})
	st(`^I truncate @(\w+) to (\d+) bytes as @(\w+)$`,
		func(ctx context.Context, from, n, as string) error { return State(ctx).truncate(from, n, as) })
	st(`^a key of kind (\w+) wrapped for the partition as @(\w+)$`,
		with2(func(ctx context.Context, s *Scenario, kind, as string) error { return s.wrapped(ctx, kind, as) }))
	st(`^I send (\w+) in session "(\w+)" of partition ([A-Z])$`,
		func(ctx context.Context, cmd, name, part string) error {
			return State(ctx).sendInForeignSession(ctx, cmd, name, part)
		})
}

// alterByte saves a copy of the byte string @from with byte at changed by
// f as @as; a negative offset counts from the end (-1 is the last byte).
func (s *Scenario) alterByte(at, from, as string, f func(byte) byte) error {
	b, err := s.savedBytes(from)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(at)
	if err != nil {
		return err
	}
	if i < 0 {
		i += len(b)
	}
	if i < 0 || i >= len(b) {
		return fmt.Errorf("byte %s of @%s: it has %d bytes", at, from, len(b))
	}
	c := bytes.Clone(b)
	c[i] = f(c[i])
	s.saved[as] = c
	return nil
}

func (s *Scenario) truncate(from, n, as string) error {
	b, err := s.savedBytes(from)
	if err != nil {
		return err
	}
	k, err := strconv.Atoi(n)
	if err != nil || k > len(b) {
		return fmt.Errorf("truncate @%s (%d bytes) to %s bytes", from, len(b), n)
	}
	s.saved[as] = bytes.Clone(b[:k])
	return nil
}

// wrapped makes fresh key material of kind on the client and wraps it for
// UnwrapKey under the partition's unwrapping key (spec: CMD-KEY-UNWRAP,
// RSA-OAEP-SHA256 + AES-KWP), saving the blob as @as and, for a key pair,
// its public key (SPKI DER) as @as_pub.
func (s *Scenario) wrapped(ctx context.Context, kind, as string) error {
	material, pub, err := keyMaterial(kind)
	if err != nil {
		return err
	}
	saved := s.last
	defer func() { s.last, s.checked = saved, true }()
	if err := s.must(ctx, "GetUnwrappingKey", nil, sendMode{}, rc.Success); err != nil {
		return err
	}
	der, err := s.fieldBytes(s.last, "public_key")
	if err != nil {
		return err
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("unwrapping key: %w", err)
	}
	rk, ok := pk.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("unwrapping key is a %T, not an RSA key", pk)
	}
	w, err := client.WrapKey(rk, material)
	clear(material)
	if err != nil {
		return err
	}
	s.saved[as] = w
	if pub != nil {
		s.saved[as+"_pub"] = pub
	}
	return nil
}

// keyMaterial returns fresh key material of a kind in the encoding
// UnwrapKey takes (spec: CMD-KEY-UNWRAP: PKCS#8 DER for private keys, raw
// bytes for AES and HMAC keys) and the public key of a key pair.
func keyMaterial(kind string) (material, pub []byte, err error) {
	raw := map[string]int{"Aes128": 16, "Aes192": 24, "Aes256": 32, "HmacSha256": 32, "HmacSha384": 48, "HmacSha512": 64}
	if n, ok := raw[kind]; ok {
		b := make([]byte, n)
		rand.Read(b)
		return b, nil, nil
	}
	var priv any
	switch kind {
	case "EccP256", "EccP384", "EccP521":
		curve := map[string]elliptic.Curve{"EccP256": elliptic.P256(), "EccP384": elliptic.P384(), "EccP521": elliptic.P521()}[kind]
		priv, err = ecdsa.GenerateKey(curve, rand.Reader)
	case "Ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "Rsa2048", "Rsa3072", "Rsa4096":
		bits, _ := strconv.Atoi(kind[3:])
		priv, err = rsa.GenerateKey(rand.Reader, bits)
	default:
		return nil, nil, fmt.Errorf("the suite does not make %s key material for UnwrapKey", kind)
	}
	if err != nil {
		return nil, nil, err
	}
	material, err = x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pub, err = x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
	return material, pub, err
}

// sendInForeignSession sends cmd sealed under session name of partition
// part to the current partition's endpoint: a session belongs to its
// partition (spec: IHSM-PAR-002), so the device must not find it.
func (s *Scenario) sendInForeignSession(ctx context.Context, name, session, part string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	if cmd.Session != model.SessionIn && cmd.Session != model.SessionCloses {
		return fmt.Errorf("%s is not sent in a session", name)
	}
	p := int(part[0] - 'A')
	se := s.sessions[sessionKey(p, session)]
	if se == nil {
		return fmt.Errorf("no session %q on partition %s", session, part)
	}
	if p == s.part {
		return fmt.Errorf("session %q belongs to the current partition", session)
	}
	raw, err := s.requestBody(cmd, nil, nil)
	if err != nil {
		return err
	}
	s.nextID++
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID, SessionID: se.id, Sequence: se.seq + 1}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Sealed: se.sealRequest(&h, raw)})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return s.roundTrip(ctx, &exchange{cmd: cmd, header: h, frame: frame, session: se})
}
