package clienttest

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/wire"
)

// benchOp is one operation measured in every mode. Each mode's op func is
// called by one worker goroutine at a time; workers run in parallel.
type benchOp struct {
	name string
	kind wire.KeyKind
	// raw returns the plain Go crypto call, set up once per worker.
	raw func(b *testing.B) func() error
	// device returns the same operation through a client session.
	device func(s *client.Session, handle uint32) func() error
}

var digest = sha256.Sum256([]byte("benchmark message"))

func benchOps() []benchOp {
	kib := make([]byte, 1024)
	msg32 := digest[:]
	return []benchOp{
		{
			name: "ecdsa-p256-sign", kind: wire.KeyKindEccP256,
			raw: func(b *testing.B) func() error {
				k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				return func() error { _, err := ecdsa.SignASN1(rand.Reader, k, msg32); return err }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmEcdsaSha256, Data: msg32}
				return func() error { _, err := s.Sign(context.Background(), req); return err }
			},
		},
		{
			name: "rsa2048-pkcs1-sign", kind: wire.KeyKindRsa2048,
			raw: func(b *testing.B) func() error {
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					b.Fatal(err)
				}
				return func() error { _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, msg32); return err }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmRsaPkcs1Sha256, Data: msg32}
				return func() error { _, err := s.Sign(context.Background(), req); return err }
			},
		},
		{
			name: "aes256-gcm-1k", kind: wire.KeyKindAes256,
			raw: func(b *testing.B) func() error {
				key := make([]byte, 32)
				rand.Read(key)
				blk, _ := aes.NewCipher(key)
				g, _ := cipher.NewGCM(blk)
				nonce := make([]byte, 12)
				dst := make([]byte, 0, len(kib)+16)
				// A fresh random nonce per message, as the device makes.
				return func() error { rand.Read(nonce); g.Seal(dst[:0], nonce, kib, nil); return nil }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.EncryptRequest{KeyHandle: h, Algorithm: wire.AlgorithmAesGcm, Plaintext: kib}
				return func() error { _, err := s.Encrypt(context.Background(), req); return err }
			},
		},
		{
			name: "mldsa65-sign", kind: wire.KeyKindMlDsa65,
			raw: func(b *testing.B) func() error {
				_, sk, err := mldsa65.GenerateKey(rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				sig := make([]byte, mldsa65.SignatureSize)
				return func() error { return mldsa65.SignTo(sk, msg32, nil, true, sig) }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmMlDsa65, Data: msg32}
				return func() error { _, err := s.Sign(context.Background(), req); return err }
			},
		},
	}
}

func usageFor(k wire.KeyKind) wire.KeyUsage {
	if k == wire.KeyKindAes256 {
		return wire.KeyUsageEncrypt | wire.KeyUsageDecrypt
	}
	return wire.KeyUsageSign | wire.KeyUsageVerify
}

// measure runs b.N calls spread over the workers' op funcs and reports
// ops/s, p50 and p99 latency. It returns ops/s.
func measure(b *testing.B, ops []func() error) float64 {
	n := len(ops)
	lat := make([][]time.Duration, n)
	per := (b.N + n - 1) / n
	for i := range lat {
		lat[i] = make([]time.Duration, 0, per)
	}
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			op := ops[w]
			for i := 0; i < per; i++ {
				t0 := time.Now()
				if err := op(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	opsPerSec := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(opsPerSec, "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(0, "ns/op") // ops/s says it better for parallel runs
	return opsPerSec
}

// BenchmarkOps measures each operation through the raw Go crypto call, the
// in-process device (client over the in-process transport) and the client
// over a Unix socket with 1 and 4 sessions (each session on its own
// connection and goroutine), and prints a table with the ratios to raw Go
// crypto at the same concurrency.
func BenchmarkOps(b *testing.B) {
	h := startHSM(b)
	ep, err := h.dev.Partition(0)
	if err != nil {
		b.Fatal(err)
	}
	inproc := client.New(inProcess(ep))
	if _, err := inproc.EstablishCredential(context.Background(), testPIN); err != nil {
		b.Fatal(err)
	}
	type result struct{ ops, ratio float64 }
	results := map[string]result{}
	var order []string
	record := func(op, mode string, ops float64, base string) {
		r := result{ops: ops}
		if raw, ok := results[op+"/"+base]; ok && base != mode {
			r.ratio = ops / raw.ops
		}
		results[op+"/"+mode] = r
		order = append(order, op+"/"+mode)
	}
	for _, op := range benchOps() {
		// Sessions and keys are made once per operation and shared by the
		// b.N rounds of each mode. Keys are partition keys, usable from
		// every session of the partition.
		inSess := session(b, inproc)
		key := generateB(b, inSess, op.kind)
		var unix []*client.Session
		for i := 0; i < 4; i++ {
			unix = append(unix, session(b, dial(b, h.target)))
		}
		modes := []struct {
			name, base string
			ops        func(b *testing.B) []func() error
		}{
			{"raw-1", "raw-1", func(b *testing.B) []func() error { return []func() error{op.raw(b)} }},
			{"raw-4", "raw-4", func(b *testing.B) []func() error {
				return []func() error{op.raw(b), op.raw(b), op.raw(b), op.raw(b)}
			}},
			{"inproc-1", "raw-1", func(*testing.B) []func() error { return []func() error{op.device(inSess, key)} }},
			{"unix-1", "raw-1", func(*testing.B) []func() error { return []func() error{op.device(unix[0], key)} }},
			{"unix-4", "raw-4", func(*testing.B) []func() error {
				var fs []func() error
				for _, s := range unix {
					fs = append(fs, op.device(s, key))
				}
				return fs
			}},
		}
		for _, m := range modes {
			var ops float64
			b.Run(op.name+"/"+m.name, func(b *testing.B) { ops = measure(b, m.ops(b)) })
			record(op.name, m.name, ops, m.base)
		}
		for _, s := range unix {
			s.Close(context.Background())
		}
		inSess.Close(context.Background())
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-32s %12s %10s\n", "operation/mode", "ops/s", "of raw")
	for _, k := range order {
		r := results[k]
		ratio := "-"
		if r.ratio != 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.ratio)
		}
		fmt.Fprintf(&sb, "%-32s %12.0f %10s\n", k, r.ops, ratio)
	}
	// Printed rather than logged: a parent benchmark's log is dropped
	// unless it fails.
	fmt.Print(sb.String())
}

func generateB(b *testing.B, s *client.Session, kind wire.KeyKind) uint32 {
	r, err := s.GenerateKey(context.Background(), &wire.GenerateKeyRequest{Kind: kind, Usage: usageFor(kind)})
	if err != nil {
		b.Fatalf("GenerateKey %v: %v", kind, err)
	}
	return r.KeyHandle
}
