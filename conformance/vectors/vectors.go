package vectors

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// Options configure a vector run.
type Options struct {
	Driver    driver.Driver
	Partition int    // the partition endpoint to use (0-based)
	PIN       []byte // provisions the partition if it is not yet, then opens the session
	// Recorder receives every frame of the run (nil records nothing).
	Recorder *transcript.Recorder
	// MaxPerFile caps the vectors run per file; the rest of the file is
	// counted as skipped ("over the per-file cap"). 0 runs every vector.
	MaxPerFile int
	// Families restricts the run to these families (Family* constants);
	// empty runs all.
	Families []string
}

// The vector families.
const (
	FamilyAESGCM    = "AES-GCM"
	FamilyAESKWP    = "AES-KWP"
	FamilyRSAOAEP   = "RSA-OAEP"
	FamilyRSAPSS    = "RSA-PSS"
	FamilyRSAPKCS1  = "RSA-PKCS1"
	FamilyECDSA     = "ECDSA"
	FamilyEd25519   = "Ed25519"
	FamilyECDH      = "ECDH"
	FamilyHKDF      = "HKDF"
	FamilyMLKEM     = "ML-KEM-768"
	FamilyMLDSA     = "ML-DSA-65"
	FamilyMalformed = "malformed-request"
)

// Families lists every family in the order Run runs them.
func Families() []string {
	return []string{FamilyMalformed, FamilyAESGCM, FamilyAESKWP, FamilyRSAOAEP, FamilyRSAPKCS1, FamilyRSAPSS, FamilyECDSA,
		FamilyEd25519, FamilyECDH, FamilyHKDF, FamilyMLKEM, FamilyMLDSA}
}

// Result is the outcome of a vector run.
type Result struct {
	Tallies  []report.VectorTally
	Duration time.Duration
}

// Failed returns every failing vector as "source tcId N: why".
func (r *Result) Failed() []string {
	var out []string
	for _, t := range r.Tallies {
		for _, f := range t.Failures {
			out = append(out, t.Source+" "+f)
		}
	}
	return out
}

// scenario names the vector run's frames in the transcript.
const scenario = "vectors"

// sessionUsage is added to every key the run makes, so that closing the
// session destroys whatever a failed step left behind (spec: KeyUsage
// SessionOnly).
const sessionUsage = wire.KeyUsageSessionOnly

// Run provisions the partition if needed, opens a session and runs every
// selected family. An error means the run itself could not be carried
// out (no connection, the PIN is refused); failing vectors are in the
// tallies.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Driver == nil {
		return nil, errors.New("vectors: a driver is required")
	}
	if len(o.PIN) == 0 {
		return nil, errors.New("vectors: a PIN is required")
	}
	start := time.Now()
	t, err := o.Driver.Dial(ctx, o.Partition)
	if err != nil {
		return nil, fmt.Errorf("vectors: dial partition %d: %w", o.Partition, err)
	}
	if o.Recorder != nil {
		t = o.Recorder.Wrap(t, scenario)
	}
	defer t.Close()
	d, err := open(ctx, t, o)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	defer d.s.Close(context.WithoutCancel(ctx))

	res := &Result{}
	for _, f := range Families() {
		if len(o.Families) > 0 && !slices.Contains(o.Families, f) {
			continue
		}
		var tallies []*tally
		switch f {
		case FamilyMalformed:
			tallies = runMalformed(ctx, o)
		case FamilyAESGCM:
			tallies = d.runGCM(ctx)
		case FamilyAESKWP:
			tallies = d.runKWP(ctx)
		case FamilyRSAOAEP:
			tallies = d.runOAEP(ctx)
		case FamilyRSAPKCS1, FamilyRSAPSS:
			tallies = d.runRSASignatures(ctx, f)
		case FamilyECDSA:
			tallies = append(d.runPublicOnly(ctx, FamilyECDSA, "ecdsa_"), d.runECDSADerived(ctx)...)
		case FamilyEd25519:
			tallies = d.runEd25519(ctx)
		case FamilyECDH:
			tallies = d.runECDH(ctx)
		case FamilyHKDF:
			tallies = d.runHKDF(ctx)
		case FamilyMLKEM:
			tallies = d.runMLKEM(ctx)
		case FamilyMLDSA:
			tallies = d.runMLDSA(ctx)
		}
		for _, t := range tallies {
			res.Tallies = append(res.Tallies, t.done())
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// dev is an open session with the device under test and what the run
// learnt about it.
type dev struct {
	o         Options
	c         *client.Client
	s         *client.Session
	kinds     []wire.KeyKind
	algs      []wire.Algorithm
	features  []string
	unwrapKey *rsa.PublicKey
}

func open(ctx context.Context, t transport.Transport, o Options) (*dev, error) {
	c := client.New(t)
	caps, err := c.GetCapabilities(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.EstablishCredential(ctx, o.PIN); err != nil && !errors.Is(err, rc.PartitionAlreadyProvisioned) {
		return nil, err
	}
	s, err := c.OpenSession(ctx, o.PIN)
	if err != nil {
		return nil, err
	}
	d := &dev{o: o, c: c, s: s, kinds: caps.KeyKinds, algs: caps.Algorithms, features: caps.Features}
	if d.has("key.unwrap") {
		uk, err := s.GetUnwrappingKey(ctx, &wire.GetUnwrappingKeyRequest{})
		if err != nil {
			s.Close(ctx)
			return nil, err
		}
		pub, err := x509.ParsePKIXPublicKey(uk.PublicKey)
		rp, ok := pub.(*rsa.PublicKey)
		if err != nil || !ok {
			s.Close(ctx)
			return nil, fmt.Errorf("GetUnwrappingKey: not an RSA SubjectPublicKeyInfo (spec: CMD-KEYS-GET-UNWRAPPING-KEY)")
		}
		d.unwrapKey = rp
	}
	return d, nil
}

// has reports whether the device claims a feature (GetCapabilities).
func (d *dev) has(feature string) bool { return slices.Contains(d.features, feature) }

// missing returns the reason the device cannot run vectors that need the
// given features, key kinds and algorithms, or "" if it claims them all.
func (d *dev) missing(features []string, kinds []wire.KeyKind, algs []wire.Algorithm) string {
	for _, f := range features {
		if !d.has(f) {
			return "the device does not claim " + f
		}
	}
	for _, k := range kinds {
		if !slices.Contains(d.kinds, k) {
			return "the device does not claim key kind " + k.String()
		}
	}
	for _, a := range algs {
		if !slices.Contains(d.algs, a) {
			return "the device does not claim algorithm " + a.String()
		}
	}
	return ""
}

// importKey brings key material into the device with UnwrapKey (the only
// import path of the protocol, spec: CMD-KEYS-UNWRAP).
func (d *dev) importKey(ctx context.Context, kind wire.KeyKind, usage wire.KeyUsage, material []byte) (*wire.UnwrapKeyResponse, error) {
	wrapped, err := client.WrapKey(d.unwrapKey, material)
	if err != nil {
		return nil, err
	}
	return d.s.UnwrapKey(ctx, &wire.UnwrapKeyRequest{Wrapped: wrapped, Kind: kind, Usage: usage | sessionUsage})
}

// drop deletes a key the run made; a failure here is the device's and is
// reported on the vector that made the key.
func (d *dev) drop(ctx context.Context, handle uint32) error {
	_, err := d.s.DeleteKey(ctx, &wire.DeleteKeyRequest{KeyHandle: handle})
	return err
}

// tally counts the vectors of one file.
type tally struct {
	report.VectorTally
	max   int
	skips map[string]int
}

func newTally(o Options, family, source string) *tally {
	return &tally{VectorTally: report.VectorTally{Source: source, Family: family}, max: o.MaxPerFile, skips: map[string]int{}}
}

// admit counts a vector and reports whether it is to be run: false when
// the per-file cap is reached (the vector is then a skip).
func (t *tally) admit() bool {
	t.Total++
	if t.max > 0 && t.Passed+t.Failed >= t.max {
		t.skips["over the per-file cap of the run"]++
		t.Skipped++
		return false
	}
	return true
}

func (t *tally) pass() { t.Passed++ }

func (t *tally) fail(tcID int, format string, args ...any) {
	t.Failed++
	t.Failures = append(t.Failures, fmt.Sprintf("tcId %d: %s", tcID, fmt.Sprintf(format, args...)))
}

// skip counts a vector that was admitted but cannot go through the device.
func (t *tally) skip(reason string) {
	t.Skipped++
	t.skips[reason]++
}

// skipAll counts n vectors that are not admitted at all.
func (t *tally) skipAll(n int, reason string) {
	t.Total += n
	t.Skipped += n
	t.skips[reason] += n
}

// check records the outcome of a vector: nil passes it.
func (t *tally) check(tcID int, err error) {
	if err != nil {
		t.fail(tcID, "%v", err)
		return
	}
	t.pass()
}

func (t *tally) done() report.VectorTally {
	reasons := make([]string, 0, len(t.skips))
	for r := range t.skips {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Notes = append(t.Notes, fmt.Sprintf("%d skipped: %s", t.skips[r], r))
	}
	return t.VectorTally
}

// refused checks that a vector the device must refuse was refused with one
// of the statuses the spec names for it.
func refused(what string, err error, want ...rc.Code) error {
	if err == nil {
		return fmt.Errorf("%s was accepted", what)
	}
	var got rc.Code
	if errors.As(err, &got) && slices.Contains(want, got) {
		return nil
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.Name()
	}
	return fmt.Errorf("%s: want %s, got %v", what, strings.Join(names, " or "), err)
}
