package conformancetest

import (
	"context"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/conformance/vectors"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

const pin = "vectors-pin-0001"

func start(t *testing.T) *refhsm.HSM {
	t.Helper()
	h, err := refhsm.Start(refhsm.Options{PINIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// TestVectorsPassOnReference runs every vector family through the
// reference HSM: no vector may fail, every family must pass some vectors,
// and every frame must be in the transcript.
func TestVectorsPassOnReference(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every vector file against the device")
	}
	h := start(t)
	rec := transcript.New(nil)
	res, err := vectors.Run(context.Background(), vectors.Options{Driver: h.InProcess(), PIN: []byte(pin), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Failed(); len(f) > 0 {
		t.Fatalf("%d vectors fail on the reference HSM:\n%s", len(f), strings.Join(f, "\n"))
	}
	passed := map[string]int{}
	for _, v := range res.Tallies {
		t.Logf("%-10s %-60s total %4d passed %4d skipped %4d %v", v.Family, v.Source, v.Total, v.Passed, v.Skipped, v.Notes)
		if v.Passed+v.Failed+v.Skipped != v.Total {
			t.Errorf("%s: %d passed + %d failed + %d skipped != %d total", v.Source, v.Passed, v.Failed, v.Skipped, v.Total)
		}
		passed[v.Family] += v.Passed
	}
	for _, f := range vectors.Families() {
		if passed[f] == 0 {
			t.Errorf("%s: no vector passed", f)
		}
	}
	for _, v := range res.Tallies {
		// The Wycheproof ECDSA files carry public keys only: the protocol
		// cannot import them, so their vectors are all skipped.
		if v.Family == vectors.FamilyECDSA && strings.HasPrefix(v.Source, "wycheproof/") && v.Passed != 0 {
			t.Errorf("%s: %d vectors passed though none can reach the device", v.Source, v.Passed)
		}
	}
	if _, frames := rec.Digest(); frames == 0 {
		t.Error("no frame recorded in the transcript")
	}
	t.Logf("vectors took %v", res.Duration)
}

// TestVectorsCatchWrongVerify runs the signature vectors through a path
// that turns every SignatureInvalid answer to Verify into Success: each
// invalid signature must then fail, named by file and tcId.
func TestVectorsCatchWrongVerify(t *testing.T) {
	for _, c := range []struct {
		family string
		prefix string // of every file of the family
	}{
		{vectors.FamilyEd25519, "wycheproof/ed25519_test.json"},
		{vectors.FamilyRSAPKCS1, "wycheproof/rsa_"},
		{vectors.FamilyRSAPSS, "wycheproof/rsa_pss_"},
		{vectors.FamilyECDSA, "derived/ecdsa_"},
	} {
		t.Run(c.family, func(t *testing.T) {
			h := start(t)
			d := flipVerify{h.InProcess()}
			res, err := vectors.Run(context.Background(), vectors.Options{Driver: d, PIN: []byte(pin), Families: []string{c.family}})
			if err != nil {
				t.Fatal(err)
			}
			// An acceptable signature the device refuses also comes back
			// as Success, under a seal the rewritten header no longer
			// opens: those fail too, as a channel failure.
			invalid := 0
			for _, f := range res.Failed() {
				if !strings.HasPrefix(f, c.prefix) || !strings.Contains(f, " tcId ") {
					t.Errorf("failure does not name the file and the tcId: %s", f)
				}
				if strings.Contains(f, "invalid signature") {
					invalid++
				}
			}
			if invalid == 0 {
				t.Fatal("a Verify that answers Success for invalid signatures passed the vectors")
			}
			for _, v := range res.Tallies {
				if strings.HasPrefix(v.Source, c.prefix) && v.Passed == 0 {
					t.Errorf("%s: the valid vectors should still pass", v.Source)
				}
			}
		})
	}
}

// flipVerify rewrites the response header of every Verify answered
// SignatureInvalid to Success, as a device that accepts every signature
// would; the sealed empty body is left as it is.
type flipVerify struct{ driver.Driver }

func (f flipVerify) Dial(ctx context.Context, i int) (transport.Transport, error) {
	t, err := f.Driver.Dial(ctx, i)
	if err != nil {
		return nil, err
	}
	return flipTransport{t}, nil
}

type flipTransport struct{ transport.Transport }

func (f flipTransport) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	out, err := f.Transport.RoundTrip(ctx, frame)
	if err != nil {
		return out, err
	}
	h, env, err := wire.DecodeResponse(out)
	if err != nil || h.Opcode != wire.OpVerify || h.Status != rc.SignatureInvalid {
		return out, nil
	}
	h.Status = rc.Success
	return wire.EncodeResponse(h, env)
}
