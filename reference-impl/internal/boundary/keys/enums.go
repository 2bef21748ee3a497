package keys

import "crypto"

// Kind is the spec's KeyKind (types.yaml); values are fixed by the spec.
type Kind uint32

// Key kinds.
const (
	EccP256    Kind = 1
	EccP384    Kind = 2
	EccP521    Kind = 3
	Rsa2048    Kind = 4
	Rsa3072    Kind = 5
	Rsa4096    Kind = 6
	Aes128     Kind = 7
	Aes192     Kind = 8
	Aes256     Kind = 9
	HmacSha256 Kind = 10
	HmacSha384 Kind = 11
	HmacSha512 Kind = 12
	Ed25519    Kind = 13
	MlDsa65    Kind = 14
	MlKem768   Kind = 15
	Secret256  Kind = 16
	Secret384  Kind = 17
	Secret521  Kind = 18
)

// Kinds lists every key kind the store implements.
func Kinds() []Kind {
	out := make([]Kind, 0, 18)
	for k := EccP256; k <= Secret521; k++ {
		out = append(out, k)
	}
	return out
}

var kindNames = [...]string{"", "EccP256", "EccP384", "EccP521", "Rsa2048", "Rsa3072", "Rsa4096",
	"Aes128", "Aes192", "Aes256", "HmacSha256", "HmacSha384", "HmacSha512", "Ed25519", "MlDsa65",
	"MlKem768", "Secret256", "Secret384", "Secret521"}

func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Valid reports whether k is a kind of the spec.
func (k Kind) Valid() bool { return k >= EccP256 && k <= Secret521 }

// IsECC, IsRSA, IsAES, IsHMAC and IsSecret classify kinds.
func (k Kind) IsECC() bool    { return k >= EccP256 && k <= EccP521 }
func (k Kind) IsRSA() bool    { return k >= Rsa2048 && k <= Rsa4096 }
func (k Kind) IsAES() bool    { return k >= Aes128 && k <= Aes256 }
func (k Kind) IsHMAC() bool   { return k >= HmacSha256 && k <= HmacSha512 }
func (k Kind) IsSecret() bool { return k >= Secret256 && k <= Secret521 }

// Symmetric reports whether the kind has no public key.
func (k Kind) Symmetric() bool { return k.IsAES() || k.IsHMAC() || k.IsSecret() }

// symLen is the key length in bytes of a symmetric kind: AES key sizes,
// HMAC keys as long as the hash output (SP 800-107r1 §5.3.4), and secrets as
// long as the shared secret they carry (Secret521 is a P-521 x-coordinate).
func (k Kind) symLen() int {
	switch k {
	case Aes128:
		return 16
	case Aes192:
		return 24
	case Aes256, HmacSha256, Secret256:
		return 32
	case HmacSha384, Secret384:
		return 48
	case HmacSha512:
		return 64
	case Secret521:
		return 66
	}
	return 0
}

func (k Kind) rsaBits() int {
	switch k {
	case Rsa2048:
		return 2048
	case Rsa3072:
		return 3072
	case Rsa4096:
		return 4096
	}
	return 0
}

// Usage is the spec's KeyUsage bit set.
type Usage uint32

// Usage bits.
const (
	UsageSign        Usage = 1 << 0
	UsageVerify      Usage = 1 << 1
	UsageEncrypt     Usage = 1 << 2
	UsageDecrypt     Usage = 1 << 3
	UsageWrap        Usage = 1 << 4
	UsageUnwrap      Usage = 1 << 5
	UsageDerive      Usage = 1 << 6
	UsageSessionOnly Usage = 1 << 8
)

// usageDefined is every bit the spec defines.
const usageDefined = UsageSign | UsageVerify | UsageEncrypt | UsageDecrypt | UsageWrap | UsageUnwrap | UsageDerive | UsageSessionOnly

// Permitted returns the usage bits a key of kind k may carry (package
// documentation, "Usage policy").
func (k Kind) Permitted() Usage {
	var u Usage
	switch {
	case k.IsECC():
		u = UsageSign | UsageVerify | UsageDerive
	case k.IsRSA():
		u = UsageSign | UsageVerify | UsageEncrypt | UsageDecrypt
	case k.IsAES():
		u = UsageEncrypt | UsageDecrypt | UsageWrap | UsageUnwrap
	case k.IsHMAC():
		u = UsageSign | UsageVerify | UsageDerive
	case k == Ed25519 || k == MlDsa65:
		u = UsageSign | UsageVerify
	case k == MlKem768 || k.IsSecret():
		u = UsageDerive
	default:
		return 0
	}
	return u | UsageSessionOnly
}

// Fits reports whether algorithm a may be used with a key of kind k (spec:
// types.yaml key_policy; any other is ErrAlgorithmMismatch).
func (k Kind) Fits(a Algorithm) bool { return fits(k, a) }

// Algorithm is the spec's Algorithm enum.
type Algorithm uint32

// Algorithms.
const (
	EcdsaSha256    Algorithm = 1
	EcdsaSha384    Algorithm = 2
	EcdsaSha512    Algorithm = 3
	RsaPssSha256   Algorithm = 4
	RsaPssSha384   Algorithm = 5
	RsaPssSha512   Algorithm = 6
	RsaPkcs1Sha256 Algorithm = 7
	RsaPkcs1Sha384 Algorithm = 8
	RsaPkcs1Sha512 Algorithm = 9
	AlgEd25519     Algorithm = 10
	AlgMlDsa65     Algorithm = 11
	AesGcm         Algorithm = 20
	AesCbc         Algorithm = 21
	AesKwp         Algorithm = 22
	RsaOaepSha256  Algorithm = 23
	RsaOaepSha384  Algorithm = 24
	HmacAlgSha256  Algorithm = 30
	HmacAlgSha384  Algorithm = 31
	HmacAlgSha512  Algorithm = 32
)

// Algorithms lists every algorithm the store implements.
func Algorithms() []Algorithm {
	return []Algorithm{EcdsaSha256, EcdsaSha384, EcdsaSha512, RsaPssSha256, RsaPssSha384, RsaPssSha512,
		RsaPkcs1Sha256, RsaPkcs1Sha384, RsaPkcs1Sha512, AlgEd25519, AlgMlDsa65, AesGcm, AesCbc, AesKwp,
		RsaOaepSha256, RsaOaepSha384, HmacAlgSha256, HmacAlgSha384, HmacAlgSha512}
}

// hash returns the hash an algorithm is bound to (0 for none).
func (a Algorithm) hash() crypto.Hash {
	switch a {
	case EcdsaSha256, RsaPssSha256, RsaPkcs1Sha256, RsaOaepSha256, HmacAlgSha256:
		return crypto.SHA256
	case EcdsaSha384, RsaPssSha384, RsaPkcs1Sha384, RsaOaepSha384, HmacAlgSha384:
		return crypto.SHA384
	case EcdsaSha512, RsaPssSha512, RsaPkcs1Sha512, HmacAlgSha512:
		return crypto.SHA512
	}
	return 0
}

// Hash is the spec's HashAlgorithm enum (hash selection for HKDF and KBKDF).
type Hash uint32

// Hash algorithms.
const (
	Sha256 Hash = 1
	Sha384 Hash = 2
	Sha512 Hash = 3
)

func (h Hash) crypto() crypto.Hash {
	switch h {
	case Sha256:
		return crypto.SHA256
	case Sha384:
		return crypto.SHA384
	case Sha512:
		return crypto.SHA512
	}
	return 0
}

// Origin records where a key's material came from; it is part of the
// masked-key plaintext and of key attestation flags.
type Origin uint8

// Key origins.
const (
	OriginGenerated Origin = 1 // generated or derived inside the device
	OriginImported  Origin = 2 // imported through UnwrapKey
)

// Limits of the spec (architecture/limits).
const (
	MaxMessage = 16384 // max_message: sign/encrypt/hmac data
	MaxLabel   = 64    // max_label
	MaxKeys    = 256   // max_keys per partition
)

// Approved reports whether an operation is a FIPS-approved service
// (FIPS 140-3 IG 2.4.C service indicator). Every algorithm of the store is
// approved except AES-GCM encryption with an IV chosen outside the module
// (SP 800-38D §8.2; IG C.H requires the IV to be generated inside).
func Approved(alg Algorithm, callerIV bool) bool {
	return !(alg == AesGcm && callerIV)
}
