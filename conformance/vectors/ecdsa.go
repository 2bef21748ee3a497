package vectors

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// ecdsaCase is one signature Verify is given.
type ecdsaCase struct {
	name  string
	sig   []byte
	valid bool
}

// derSig is the ASN.1 DER ECDSA-Sig-Value (RFC 5480 §2.2.3; SEC 1 §C.5).
func derSig(r, s *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.BytesOrPanic()
}

// tlv encodes one element with a definite length, in DER's minimal form
// or, with long, with one length byte more than needed, which DER forbids
// (X.690 §10.1). Every length here is under 0x10000.
func tlv(tag byte, content []byte, long bool) []byte {
	n := len(content)
	var head []byte
	switch {
	case n < 0x80 && !long:
		head = []byte{tag, byte(n)}
	case n < 0x80, n < 0x100 && !long:
		head = []byte{tag, 0x81, byte(n)}
	case n < 0x100:
		head = []byte{tag, 0x82, 0, byte(n)}
	case !long:
		head = []byte{tag, 0x82, byte(n >> 8), byte(n)}
	default:
		head = []byte{tag, 0x83, 0, byte(n >> 8), byte(n)}
	}
	return append(head, content...)
}

// intBytes is the two's complement content of a DER INTEGER.
func intBytes(x *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1BigInt(x)
	out := b.BytesOrPanic()
	return out[2:] // tag and a short length: every scalar here is under 128 bytes
}

// ecdsaCases derives from a valid signature (r, s) the classic cases of
// the Wycheproof ECDSA files, which the device cannot get from those files
// themselves (their keys have no published private keys): the signature
// and its twin (r, n - s), which FIPS 186-5 §6.4.2 also accepts, and
// signatures that must be refused — scalars out of range, zero, negative
// or swapped, and encodings that are not DER.
func ecdsaCases(n, r, s *big.Int, size int) []ecdsaCase {
	add := func(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
	sub := func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
	zero, one := big.NewInt(0), big.NewInt(1)
	ri, si := intBytes(r), intBytes(s)
	fixed := func(x *big.Int) []byte { return x.FillBytes(make([]byte, size)) }
	cases := []ecdsaCase{
		{"the signature", derSig(r, s), true},
		{"(r, n - s)", derSig(r, sub(n, s)), true},
		{"r = 0", derSig(zero, s), false},
		{"s = 0", derSig(r, zero), false},
		{"r = 0, s = 0", derSig(zero, zero), false},
		{"r = n", derSig(n, s), false},
		{"s = n", derSig(r, n), false},
		{"r + n", derSig(add(r, n), s), false},
		{"s + n", derSig(r, add(s, n)), false},
		{"r = 1, s = 1", derSig(one, one), false},
		{"-r", derSig(new(big.Int).Neg(r), s), false},
		{"-s", derSig(r, new(big.Int).Neg(s)), false},
		{"r and s swapped", derSig(s, r), false},
		{"r - n", derSig(sub(r, n), s), false},
		{"sequence length in the long form", tlv(0x30, append(tlv(0x02, ri, false), tlv(0x02, si, false)...), true), false},
		{"r length in the long form", tlv(0x30, append(tlv(0x02, ri, true), tlv(0x02, si, false)...), false), false},
		{"indefinite length", append(append([]byte{0x30, 0x80}, append(tlv(0x02, ri, false), tlv(0x02, si, false)...)...), 0, 0), false},
		{"r padded with a zero byte", tlv(0x30, append(tlv(0x02, append([]byte{0}, ri...), false), tlv(0x02, si, false)...), false), false},
		{"a byte after the sequence", append(derSig(r, s), 0), false},
		{"set instead of sequence", tlv(0x31, append(tlv(0x02, ri, false), tlv(0x02, si, false)...), false), false},
		{"r as a bit string", tlv(0x30, append(tlv(0x03, ri, false), tlv(0x02, si, false)...), false), false},
		{"s missing", tlv(0x30, tlv(0x02, ri, false), false), false},
		{"a third integer", tlv(0x30, append(append(tlv(0x02, ri, false), tlv(0x02, si, false)...), tlv(0x02, si, false)...), false), false},
		{"r || s without DER (IEEE P1363)", append(fixed(r), fixed(s)...), false},
	}
	if r.BitLen()%8 == 0 {
		// r's top bit set: DER needs a leading zero, without it r is negative.
		cases = append(cases, ecdsaCase{"r without its sign byte", tlv(0x30, append(tlv(0x02, r.Bytes(), false), tlv(0x02, si, false)...), false), false})
	}
	return cases
}

// runECDSADerived runs the derived ECDSA cases on each curve: a key made
// here is imported with UnwrapKey, a digest signed here, and Verify must
// accept the two valid signatures and refuse every other with
// SignatureInvalid (spec: CMD-CRYPTO-VERIFY, IHSM-CRY-005, IHSM-CRY-006;
// ECDSA signatures are ASN.1 DER, spec: types.yaml Algorithm). The same
// signature over another digest must be refused too.
func (d *dev) runECDSADerived(ctx context.Context) []*tally {
	var out []*tally
	for _, c := range []struct {
		curve elliptic.Curve
		kind  wire.KeyKind
		alg   wire.Algorithm
		hash  crypto.Hash
		file  string
	}{
		{elliptic.P256(), wire.KeyKindEccP256, wire.AlgorithmEcdsaSha256, crypto.SHA256, "ecdsa_secp256r1_sha256"},
		{elliptic.P384(), wire.KeyKindEccP384, wire.AlgorithmEcdsaSha384, crypto.SHA384, "ecdsa_secp384r1_sha384"},
		{elliptic.P521(), wire.KeyKindEccP521, wire.AlgorithmEcdsaSha512, crypto.SHA512, "ecdsa_secp521r1_sha512"},
	} {
		t := newTally(d.o, FamilyECDSA, "derived/"+c.file)
		out = append(out, t)
		k, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		if err != nil {
			t.fail(0, "%v", err)
			continue
		}
		h := c.hash.New()
		fmt.Fprintf(h, "OpenIHSM-v1 derived ECDSA vectors %s", c.file)
		digest := h.Sum(nil)
		sig, err := ecdsa.SignASN1(rand.Reader, k, digest)
		if err != nil {
			t.fail(0, "%v", err)
			continue
		}
		var r, s big.Int
		in := cryptobyte.String(sig)
		if !in.ReadASN1(&in, asn1.SEQUENCE) || !in.ReadASN1Integer(&r) || !in.ReadASN1Integer(&s) {
			t.fail(0, "the signature made here does not parse")
			continue
		}
		size := (c.curve.Params().BitSize + 7) / 8
		cases := ecdsaCases(c.curve.Params().N, &r, &s, size)
		if why := d.missing([]string{"key.unwrap"}, []wire.KeyKind{c.kind}, []wire.Algorithm{c.alg}); why != "" {
			t.skipAll(len(cases)+1, why)
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.fail(0, "%v", err)
			continue
		}
		imp, err := d.importKey(ctx, c.kind, wire.KeyUsageVerify, der)
		if err != nil {
			t.fail(0, "import the key with UnwrapKey: %v", err)
			continue
		}
		for i, v := range cases {
			if !t.admit() {
				continue
			}
			err := d.s.Verify(ctx, &wire.VerifyRequest{KeyHandle: imp.KeyHandle, Algorithm: c.alg, Data: digest, Signature: v.sig})
			if v.valid {
				if err != nil {
					t.fail(i, "Verify of a valid signature (%s): %v", v.name, err)
					continue
				}
				t.pass()
				continue
			}
			t.check(i, refused("Verify of an invalid signature ("+v.name+")", err, rc.SignatureInvalid))
		}
		if t.admit() {
			other := c.hash.New()
			other.Write(digest)
			err := d.s.Verify(ctx, &wire.VerifyRequest{KeyHandle: imp.KeyHandle, Algorithm: c.alg, Data: other.Sum(nil), Signature: sig})
			t.check(len(cases), refused("Verify of an invalid signature (over another digest)", err, rc.SignatureInvalid))
		}
		if err := d.drop(ctx, imp.KeyHandle); err != nil {
			t.fail(0, "delete the key: %v", err)
		}
	}
	return out
}
