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
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/wire"
)

var (
	benchRounds = flag.Int("rounds", 3, "BenchmarkOps: interleaved rounds of every operation and path; the table shows medians")
	benchRun    = flag.Duration("optime", time.Second, "BenchmarkOps: measured time of one operation on one path in one round")
	benchOnly   = flag.String("only", "", "BenchmarkOps: run only the operation/path pairs this regular expression matches (for profiling)")
)

// benchOp is one operation measured on every path.
type benchOp struct {
	name string
	kind wire.KeyKind
	// raw returns the plain Go crypto call, set up once per worker.
	raw func(tb testing.TB) func() error
	// device returns the same operation through a client session.
	device func(s *client.Session, handle uint32) func() error
}

var digest = sha256.Sum256([]byte("benchmark message"))

func benchOps() []benchOp {
	kib := make([]byte, 1024)
	msg32 := digest[:]
	return []benchOp{
		{
			name: "ECDSA P-256 sign", kind: wire.KeyKindEccP256,
			raw: func(tb testing.TB) func() error {
				k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					tb.Fatal(err)
				}
				return func() error { _, err := ecdsa.SignASN1(rand.Reader, k, msg32); return err }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmEcdsaSha256, Data: msg32}
				return func() error { _, err := s.Sign(context.Background(), req); return err }
			},
		},
		{
			name: "RSA-2048 PKCS#1 sign", kind: wire.KeyKindRsa2048,
			raw: func(tb testing.TB) func() error {
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					tb.Fatal(err)
				}
				return func() error { _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, msg32); return err }
			},
			device: func(s *client.Session, h uint32) func() error {
				req := &wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmRsaPkcs1Sha256, Data: msg32}
				return func() error { _, err := s.Sign(context.Background(), req); return err }
			},
		},
		{
			name: "AES-256-GCM 1 KiB", kind: wire.KeyKindAes256,
			raw: func(tb testing.TB) func() error {
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
			name: "ML-DSA-65 sign", kind: wire.KeyKindMlDsa65,
			raw: func(tb testing.TB) func() error {
				_, sk, err := mldsa65.GenerateKey(rand.Reader)
				if err != nil {
					tb.Fatal(err)
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

// benchPath is one way of running an operation: its workers run in
// parallel, each calling its own op func in a loop.
type benchPath struct {
	name string
	// base is the raw path the ratio is taken against ("" for none).
	base    string
	workers []func() error
}

// sample is what one timed run of one path gave.
type sample struct {
	ops float64
	// cpu is the process's CPU time (user and system) per call, client,
	// server and garbage collector included: unlike ops/s, it barely moves
	// when other programs take cores from the benchmark.
	cpu time.Duration
	lat []time.Duration
}

// timed runs the workers for warm-up plus d and returns the throughput
// and the per-call latencies of the measured part, and the CPU time per
// call of the whole run.
func timed(tb testing.TB, ops []func() error, d time.Duration) sample {
	const warmup = 200 * time.Millisecond
	cpu0 := processCPU()
	start := time.Now()
	from, until := start.Add(warmup), start.Add(warmup+d)
	lat := make([][]time.Duration, len(ops))
	calls := make([]int, len(ops))
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for w, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, 4096)
			n := 0
			for {
				t0 := time.Now()
				if t0.After(until) {
					break
				}
				if err := op(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n++
				if t0.After(from) {
					l = append(l, time.Since(t0))
				}
			}
			lat[w], calls[w] = l, n
		}()
	}
	wg.Wait()
	cpu := processCPU() - cpu0
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	all := slices.Concat(lat...)
	n := 0
	for _, c := range calls {
		n += c
	}
	return sample{ops: float64(len(all)) / d.Seconds(), cpu: cpu / time.Duration(max(n, 1)), lat: all}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// result is the summary of one operation on one path over all rounds.
type result struct {
	op, path, base string
	ops            float64 // median over the rounds
	cpu            time.Duration
	p50, p99       time.Duration
	ratio          float64 // ops / ops of base, 0 when there is none
}

func summarise(op string, p benchPath, ss []sample) result {
	var opss []float64
	var cpus, lat []time.Duration
	for _, s := range ss {
		opss = append(opss, s.ops)
		cpus = append(cpus, s.cpu)
		lat = append(lat, s.lat...)
	}
	slices.Sort(opss)
	slices.Sort(cpus)
	slices.Sort(lat)
	r := result{op: op, path: p.name, base: p.base, ops: opss[len(opss)/2], cpu: cpus[len(cpus)/2]}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// BenchmarkOps measures each operation on every path and prints one table
// of ops/s, p50 and p99 latency and the ratio to raw Go crypto at the same
// parallelism, then whether the speed targets are met:
//
//	raw-1     the Go crypto call, one goroutine (one core)
//	raw-2     the Go crypto call, two goroutines (both cores)
//	inproc-1  one session through the in-process transport (ratio: raw-1)
//	inproc-4  four sessions, one goroutine each, in-process (ratio: raw-2)
//	unix-1    one session over a Unix socket (ratio: raw-1)
//	unix-4    four sessions sharing one client and its Unix socket
//	          connection, one goroutine each (ratio: raw-2)
//
// Client and server share the process and its two cores, as an application
// and a local daemon share the machine. Paths are interleaved, and the
// whole set is run -rounds times; the table shows the median ops/s and the
// latencies of all rounds. It runs once whatever b.N is: use -benchtime 1x.
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
	unix := dial(b, h.target)
	load0 := loadAverage()

	type opPaths struct {
		op    benchOp
		paths []benchPath
	}
	// Four sessions on each transport, shared by every operation: keys
	// are partition keys, usable from every session of the partition.
	in := []*client.Session{session(b, inproc), session(b, inproc), session(b, inproc), session(b, inproc)}
	un := []*client.Session{session(b, unix), session(b, unix), session(b, unix), session(b, unix)}
	var plan []opPaths
	for _, op := range benchOps() {
		key := generateB(b, in[0], op.kind)
		dev := func(ss []*client.Session) []func() error {
			var fs []func() error
			for _, s := range ss {
				fs = append(fs, op.device(s, key))
			}
			return fs
		}
		raw := func(n int) []func() error {
			var fs []func() error
			for range n {
				fs = append(fs, op.raw(b))
			}
			return fs
		}
		paths := []benchPath{
			{"raw-1", "", raw(1)},
			{"raw-2", "", raw(2)},
			{"inproc-1", "raw-1", dev(in[:1])},
			{"inproc-4", "raw-2", dev(in)},
			{"unix-1", "raw-1", dev(un[:1])},
			{"unix-4", "raw-2", dev(un)},
		}
		if op.kind == wire.KeyKindEccP256 {
			paths = append(paths, softHSMPaths(b)...)
		}
		plan = append(plan, opPaths{op, paths})
	}

	only, err := regexp.Compile(*benchOnly)
	if err != nil {
		b.Fatal(err)
	}
	samples := map[string][]sample{}
	for range max(*benchRounds, 1) {
		for _, p := range plan {
			for _, path := range p.paths {
				if !only.MatchString(p.op.name + "/" + path.name) {
					continue
				}
				runtime.GC()
				k := p.op.name + "/" + path.name
				samples[k] = append(samples[k], timed(b, path.workers, *benchRun))
			}
		}
	}
	var results []result
	for _, p := range plan {
		byPath := map[string]float64{}
		for _, path := range p.paths {
			ss := samples[p.op.name+"/"+path.name]
			if len(ss) == 0 {
				continue
			}
			r := summarise(p.op.name, path, ss)
			byPath[r.path] = r.ops
			if base, ok := byPath[r.base]; ok && base > 0 {
				r.ratio = r.ops / base
			}
			results = append(results, r)
		}
	}
	// Printed rather than logged: a benchmark's log is dropped unless it
	// fails.
	printTable(os.Stdout, results, *benchRounds, *benchRun, load0, loadAverage())
	printTargets(os.Stdout, results, softHSMRecorded())
	b.ReportMetric(0, "ns/op")
}

func printTable(w io.Writer, rs []result, rounds int, d time.Duration, load0, load1 string) {
	fmt.Fprintf(w, "\nGOMAXPROCS=%d, %d rounds of %v per operation and path; load average before %s, after %s\n",
		runtime.GOMAXPROCS(0), rounds, d, load0, load1)
	fmt.Fprintln(w, "of raw: ops/s over the raw path of the same parallelism; CPU µs/op: the process's CPU time per call (client, server, GC)")
	fmt.Fprintf(w, "%-22s %-24s %10s %10s %10s %14s %12s\n", "operation", "path", "ops/s", "p50 µs", "p99 µs", "of raw", "CPU µs/op")
	last := ""
	for _, r := range rs {
		op := r.op
		if op == last {
			op = ""
		}
		last = r.op
		ratio := "-"
		if r.ratio != 0 {
			ratio = fmt.Sprintf("%.0f%% %s", 100*r.ratio, r.base)
		}
		fmt.Fprintf(w, "%-22s %-24s %10.0f %10.1f %10.1f %14s %12.1f\n", op, r.path, r.ops,
			float64(r.p50.Nanoseconds())/1e3, float64(r.p99.Nanoseconds())/1e3, ratio, float64(r.cpu.Nanoseconds())/1e3)
	}
}

// printTargets says, for ECDSA P-256 sign, whether each speed target is
// met. The SoftHSM2 figure is the one measured in this run when the
// benchmark is built with the softhsm tag, else the recorded one.
func printTargets(w io.Writer, rs []result, recorded softHSMFigure) {
	find := func(path string) (result, bool) {
		for _, r := range rs {
			if r.op == "ECDSA P-256 sign" && r.path == path {
				return r, true
			}
		}
		return result{}, false
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	fmt.Fprintln(w, "\ntargets, ECDSA P-256 sign:")
	if r, ok := find("inproc-1"); ok {
		fmt.Fprintf(w, "  in-process device >= 90%% of raw Go (1 core): %.0f%% (%.0f vs %.0f ops/s): %s\n",
			100*r.ratio, r.ops, r.ops/r.ratio, verdict(r.ratio >= 0.90))
	}
	u4, ok := find("unix-4")
	if !ok {
		return
	}
	fmt.Fprintf(w, "  Unix socket, 4 sessions >= 60%% of raw Go (2 cores): %.0f%% (%.0f vs %.0f ops/s): %s\n",
		100*u4.ratio, u4.ops, u4.ops/u4.ratio, verdict(u4.ratio >= 0.60))
	soft, source := 0.0, ""
	for _, r := range rs {
		if r.op == "ECDSA P-256 sign" && strings.HasPrefix(r.path, "softhsm2-1") && r.ops > soft {
			soft, source = r.ops, "measured in this run, "+r.path
		}
	}
	if soft == 0 {
		soft, source = recorded.ops, recorded.note
	}
	fmt.Fprintf(w, "  Unix socket, 4 sessions >= 1.5x SoftHSM2 via PKCS#11, 1 session: %.2fx (%.0f vs %.0f ops/s, %s): %s\n",
		u4.ops/soft, u4.ops, soft, source, verdict(u4.ops >= 1.5*soft))
}

// softHSMFigure is a SoftHSM2 ECDSA P-256 sign rate and where it comes
// from.
type softHSMFigure struct {
	ops  float64
	note string
}

// loadAverage returns the 1-, 5- and 15-minute load averages, or "?"
// where the system does not say.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func generateB(tb testing.TB, s *client.Session, kind wire.KeyKind) uint32 {
	r, err := s.GenerateKey(context.Background(), &wire.GenerateKeyRequest{Kind: kind, Usage: usageFor(kind)})
	if err != nil {
		tb.Fatalf("GenerateKey %v: %v", kind, err)
	}
	return r.KeyHandle
}
