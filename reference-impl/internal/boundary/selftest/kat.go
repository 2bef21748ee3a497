package selftest

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/kdf"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
)

var errMismatch = errors.New("output differs from the known answer")

// allKATs returns the KAT table. Its order is the order of Names and Run.
func allKATs() []kat {
	return []kat{
		{"KAT-SHA2", katSHA2},
		{"KAT-HMAC-SHA256", func() error { return katHMAC(sha256.New, hmacSHA256) }},
		{"KAT-HMAC-SHA384", func() error { return katHMAC(sha512.New384, hmacSHA384) }},
		{"KAT-HMAC-SHA512", func() error { return katHMAC(sha512.New, hmacSHA512) }},
		{"KAT-AES-GCM", katAESGCM},
		{"KAT-AES-CBC", katAESCBC},
		{"KAT-AES-KWP", katAESKWP},
		{"KAT-HKDF", katHKDF},
		{"KAT-KBKDF", katKBKDF},
		{"KAT-PBKDF2", katPBKDF2},
		{"KAT-ECDSA-P256", func() error {
			return katECDSA(elliptic.P256(), crypto.SHA256, ecdsaP256Scalar, ecdsaP256SampleSig, ecdsaP256VerifyPublic, ecdsaP256VerifyMsg, ecdsaP256VerifySig)
		}},
		{"KAT-ECDSA-P384", func() error {
			return katECDSA(elliptic.P384(), crypto.SHA384, ecdsaP384Scalar, ecdsaP384SampleSig, ecdsaP384VerifyPublic, ecdsaP384VerifyMsg, ecdsaP384VerifySig)
		}},
		{"KAT-ECDSA-P521", func() error {
			return katECDSA(elliptic.P521(), crypto.SHA512, ecdsaP521Scalar, ecdsaP521SampleSig, ecdsaP521VerifyPublic, ecdsaP521VerifyMsg, ecdsaP521VerifySig)
		}},
		{"KAT-ECDH-P256", func() error { return katECDH(ecdh.P256(), ecdhP256Private, ecdhP256Public, ecdhP256Shared) }},
		{"KAT-ECDH-P384", func() error { return katECDH(ecdh.P384(), ecdhP384Private, ecdhP384Public, ecdhP384Shared) }},
		{"KAT-RSA-PKCS1", katRSAPKCS1},
		{"KAT-RSA-PSS", katRSAPSS},
		{"KAT-RSA-OAEP", katRSAOAEP},
		{"KAT-ED25519", katEd25519},
		{"KAT-MLDSA65", katMLDSA65},
		{"KAT-MLKEM768", katMLKEM768},
	}
}

// h decodes a hex constant of this package; the constants are fixed, so a
// decoding error is reported as a KAT failure rather than a panic.
func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

func expect(got []byte, want string) error {
	if !bytes.Equal(got, h(want)) {
		return errMismatch
	}
	return nil
}

// FIPS 180-4 / NIST CSRC examples: "abc".
func katSHA2() error {
	s256 := sha256.Sum256([]byte("abc"))
	s384 := sha512.Sum384([]byte("abc"))
	s512 := sha512.Sum512([]byte("abc"))
	return errors.Join(
		expect(s256[:], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		expect(s384[:], "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
		expect(s512[:], "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
	)
}

// RFC 4231 §4.3, test case 2.
const (
	hmacSHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	hmacSHA384 = "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"
	hmacSHA512 = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
)

func katHMAC(f func() hash.Hash, want string) error {
	m := hmac.New(f, []byte("Jefe"))
	m.Write([]byte("what do ya want for nothing?"))
	return expect(m.Sum(nil), want)
}

// Wycheproof aes_gcm_test.json tcId 91 (256-bit key, 96-bit IV).
func katAESGCM() error {
	b, err := aes.NewCipher(h("92ace3e348cd821092cd921aa3546374299ab46209691bc28b8752d17f123c20"))
	if err != nil {
		return err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return err
	}
	iv, aad, msg := h("00112233445566778899aabb"), h("00000000ffffffff"), h("00010203040506070809")
	const want = "e27abdd2d2a53d2f136b" + "9a4a2579529301bcfb71c78d4060f52c"
	if err := expect(g.Seal(nil, iv, msg, aad), want); err != nil {
		return err
	}
	pt, err := g.Open(nil, iv, h(want), aad)
	if err != nil {
		return err
	}
	return expect(pt, "00010203040506070809")
}

// Wycheproof aes_cbc_pkcs5_test.json tcId 146; the ciphertext includes the
// full PKCS#7 padding block.
func katAESCBC() error {
	b, err := aes.NewCipher(h("612e837843ceae7f61d49625faa7e7494f9253e20cb3adcea686512b043936cd"))
	if err != nil {
		return err
	}
	iv := h("9ec7b863ac845cad5e4673da21f5b6a9")
	const msg = "cc37fae15f745a2f40e2c8b192f2b38d"
	const want = "299295be47e9f5441fe83a7a811c4aeb2650333e681e69fa6b767d28a6ccf282"
	buf := append(h(msg), bytes.Repeat([]byte{16}, 16)...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(buf, buf)
	if err := expect(buf, want); err != nil {
		return err
	}
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(buf, buf)
	return expect(buf[:16], msg)
}

// RFC 5649 §6, first example (192-bit KEK, 20-byte key).
func katAESKWP() error {
	b, err := aes.NewCipher(h("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"))
	if err != nil {
		return err
	}
	const key = "c37b7e6492584340bed12207808941155068f738"
	const want = "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"
	c, err := keywrap.Wrap(b, h(key))
	if err != nil {
		return err
	}
	if err := expect(c, want); err != nil {
		return err
	}
	pt, err := keywrap.Unwrap(b, c)
	if err != nil {
		return err
	}
	return expect(pt, key)
}

// Wycheproof hkdf_sha384_test.json tcId 10.
func katHKDF() error {
	okm, err := hkdf.Key(sha512.New384, h("c360e16084cfd13cb44b0dc02d8665de"), h("685ac7df93701d6c78babd847861bb3c"),
		string(h("e0ddfaaaa7afb53f59a007a205c7149b5b5a72be")), 20)
	if err != nil {
		return err
	}
	return expect(okm, "00aa140387a3d43aae915c35b306533179019bab")
}

func katKBKDF() error {
	out, err := kdf.CounterHMAC(sha256.New, []byte("OpenIHSM KAT KBKDF key derivation key"),
		[]byte("OpenIHSM KAT label"), []byte("OpenIHSM KAT context"), 48)
	if err != nil {
		return err
	}
	return expect(out, kbkdfOut)
}

// Wycheproof pbkdf2_hmacsha384_test.json tcId 1.
func katPBKDF2() error {
	dk, err := kdf.PBKDF2(sha512.New384, h("7130577430643470"), h("798acc7c76739d75"), 4096, 16)
	if err != nil {
		return err
	}
	return expect(dk, "c5a4f853b1a3960134e572c8e29a5be9")
}

// katECDSA signs SHA-x("sample") deterministically (RFC 6979) and compares
// with the RFC's signature, verifies that signature, and verifies a
// Wycheproof signature made under an independent key.
func katECDSA(c elliptic.Curve, hf crypto.Hash, scalar, sampleSig, vPub, vMsg, vSig string) error {
	k, err := ecdsa.ParseRawPrivateKey(c, h(scalar))
	if err != nil {
		return err
	}
	d := hf.New()
	d.Write([]byte("sample"))
	digest := d.Sum(nil)
	sig, err := k.Sign(nil, digest, hf)
	if err != nil {
		return err
	}
	if err := expect(sig, sampleSig); err != nil {
		return err
	}
	if !ecdsa.VerifyASN1(&k.PublicKey, digest, sig) {
		return errors.New("own signature does not verify")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(c, h(vPub))
	if err != nil {
		return err
	}
	d.Reset()
	d.Write(h(vMsg))
	if !ecdsa.VerifyASN1(pub, d.Sum(nil), h(vSig)) {
		return errors.New("known-good signature does not verify")
	}
	return nil
}

func katECDH(c ecdh.Curve, priv, pub, shared string) error {
	k, err := c.NewPrivateKey(h(priv))
	if err != nil {
		return err
	}
	p, err := c.NewPublicKey(h(pub))
	if err != nil {
		return err
	}
	z, err := k.ECDH(p)
	if err != nil {
		return err
	}
	return expect(z, shared)
}

func parseRSA(pkcs8 string) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(h(pkcs8))
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func katRSAPKCS1() error {
	k, err := parseRSA(rsaPKCS8)
	if err != nil {
		return err
	}
	d := sha256.Sum256(h(rsaPKCS1Msg))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
	if err != nil {
		return err
	}
	if err := expect(sig, rsaPKCS1Sig); err != nil {
		return err
	}
	return rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, d[:], sig)
}

func katRSAPSS() error {
	pk, err := x509.ParsePKIXPublicKey(h(rsaPSSPublic))
	if err != nil {
		return err
	}
	pub, ok := pk.(*rsa.PublicKey)
	if !ok {
		return errors.New("not an RSA public key")
	}
	d := sha256.Sum256(h(rsaPSSMsg))
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	if err := rsa.VerifyPSS(pub, crypto.SHA256, d[:], h(rsaPSSSig), opts); err != nil {
		return fmt.Errorf("known-good signature: %w", err)
	}
	k, err := parseRSA(rsaPKCS8)
	if err != nil {
		return err
	}
	sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], opts)
	if err != nil {
		return err
	}
	return rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, d[:], sig, opts)
}

func katRSAOAEP() error {
	k, err := parseRSA(rsaOAEPPKCS8)
	if err != nil {
		return err
	}
	pt, err := rsa.DecryptOAEP(sha256.New(), nil, k, h(rsaOAEPCt), nil)
	if err != nil {
		return err
	}
	if err := expect(pt, rsaOAEPMsg); err != nil {
		return err
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, pt, nil)
	if err != nil {
		return err
	}
	pt2, err := rsa.DecryptOAEP(sha256.New(), nil, k, ct, nil)
	if err != nil {
		return err
	}
	return expect(pt2, rsaOAEPMsg)
}

// RFC 8032 §7.1 TEST 1 (empty message).
func katEd25519() error {
	k := ed25519.NewKeyFromSeed(h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	if err := expect(k.Public().(ed25519.PublicKey), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"); err != nil {
		return err
	}
	const want = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	sig := ed25519.Sign(k, nil)
	if err := expect(sig, want); err != nil {
		return err
	}
	if !ed25519.Verify(k.Public().(ed25519.PublicKey), nil, sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

// katMLDSA65 signs deterministically (FIPS 204 Algorithm 2 with rnd = 0,
// empty context) and compares with the Wycheproof signature.
func katMLDSA65() error {
	var seed [mldsa65.SeedSize]byte
	copy(seed[:], h(mldsaSeed))
	pk, sk := mldsa65.NewKeyFromSeed(&seed)
	sig := make([]byte, mldsa65.SignatureSize)
	if err := mldsa65.SignTo(sk, h(mldsaMsg), nil, false, sig); err != nil {
		return err
	}
	sum := sha256.Sum256(sig)
	if err := expect(sum[:], mldsaSigSHA256); err != nil {
		return err
	}
	if !mldsa65.Verify(pk, h(mldsaMsg), nil, sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

func katMLKEM768() error {
	dk, err := mlkem.NewDecapsulationKey768(h(mlkemSeed))
	if err != nil {
		return err
	}
	k, err := dk.Decapsulate(h(mlkemCt))
	if err != nil {
		return err
	}
	if err := expect(k, mlkemShared); err != nil {
		return err
	}
	k2, ct := dk.EncapsulationKey().Encapsulate()
	k3, err := dk.Decapsulate(ct)
	if err != nil {
		return err
	}
	if !bytes.Equal(k2, k3) {
		return errors.New("encapsulate/decapsulate disagree")
	}
	return nil
}
