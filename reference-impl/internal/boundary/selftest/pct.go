package selftest

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
)

// The pairwise consistency tests of the device's own key pairs (FIPS 140-3
// IG 10.3.A): the credential key, the identity keys and the partition
// unwrapping key, run through [Registry.PCT] under the registry's names.

var pctMessage = sha256.Sum256([]byte("OpenIHSM pairwise consistency test"))

// ECDSAPair signs a fixed digest with k and verifies the signature with
// its public key (PCT-ECDSA).
func ECDSAPair(k *ecdsa.PrivateKey) error {
	sig, err := ecdsa.SignASN1(rand.Reader, k, pctMessage[:])
	if err != nil {
		return err
	}
	if !ecdsa.VerifyASN1(&k.PublicKey, pctMessage[:], sig) {
		return errors.New("ECDSA signature does not verify")
	}
	return nil
}

// ECDHPair runs a key agreement of k with a fresh key pair in both
// directions and checks that both sides agree (PCT-ECDH, SP 800-56A r3
// §5.6.2.1.4).
func ECDHPair(k *ecdh.PrivateKey) error {
	e, err := k.Curve().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	z1, err := k.ECDH(e.PublicKey())
	if err != nil {
		return err
	}
	z2, err := e.ECDH(k.PublicKey())
	if err != nil {
		return err
	}
	ok := bytes.Equal(z1, z2)
	clear(z1)
	clear(z2)
	if !ok {
		return errors.New("ECDH shared secrets differ")
	}
	return nil
}

// RSAOAEPPair checks the key's consistency, then encrypts a fixed message
// to its public key with RSA-OAEP and decrypts it with the private key
// (PCT-RSA for an encryption key).
func RSAOAEPPair(k *rsa.PrivateKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, pctMessage[:], nil)
	if err != nil {
		return err
	}
	pt, err := rsa.DecryptOAEP(sha256.New(), nil, k, ct, nil)
	if err != nil {
		return err
	}
	if !bytes.Equal(pt, pctMessage[:]) {
		return errors.New("RSA-OAEP decryption differs")
	}
	return nil
}
