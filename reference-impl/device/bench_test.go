package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// BenchmarkSignP256 compares an ECDSA P-256 sign through the whole device
// path (encode, seal, dispatch, unseal, boundary sign, seal, encode, and the
// client opening the answer) with the raw crypto/ecdsa call it wraps.
func BenchmarkSignP256(b *testing.B) {
	digest := sha256.Sum256([]byte("benchmark"))
	b.Run("raw", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, k, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("device", func(b *testing.B) {
		h := newHarness(b, Config{})
		s := h.session()
		k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageSign).KeyHandle
		req := &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]}
		var resp wire.SignResponse
		b.ReportAllocs()
		for b.Loop() {
			if code := h.in(s, req, &resp); code != rc.Success {
				b.Fatal(code)
			}
		}
	})
}
