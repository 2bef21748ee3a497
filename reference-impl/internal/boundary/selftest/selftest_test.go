package selftest

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

func TestAllPass(t *testing.T) {
	r := New(Options{})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Results() {
		if res.Status != Passed {
			t.Errorf("%s: %v", res.Name, res.Status)
		}
	}
}

// TestForcedFailure forces each KAT in turn and checks that exactly that
// test fails, with an error naming it.
func TestForcedFailure(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			r := New(Options{ForceFail: name})
			err := r.Run()
			var fe *FailureError
			if !errors.Is(err, ErrSelfTestFailed) || !errors.As(err, &fe) || fe.Name != name {
				t.Fatalf("Run() = %v", err)
			}
			for _, res := range r.Results() {
				if (res.Name == name) != (res.Status == Failed) {
					t.Errorf("%s: %v", res.Name, res.Status)
				}
			}
			if err := r.RunTest(name); !errors.Is(err, ErrSelfTestFailed) {
				t.Fatalf("RunTest = %v", err)
			}
		})
	}
	for _, name := range PCTNames() {
		r := New(Options{ForceFail: name})
		if err := r.Run(); err != nil {
			t.Fatalf("KATs failed with PCT forced: %v", err)
		}
		if err := r.PCT(name, func() error { return nil }); !errors.Is(err, ErrSelfTestFailed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestPCTPanicAndError(t *testing.T) {
	r := New(Options{})
	if err := r.PCT(PCTRSA, func() error { panic("boom") }); !errors.Is(err, ErrSelfTestFailed) {
		t.Fatal(err)
	}
	if err := r.PCT(PCTRSA, func() error { return errors.New("x") }); !errors.Is(err, ErrSelfTestFailed) {
		t.Fatal(err)
	}
	if err := r.PCT(PCTECDSA, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestNamesUnique(t *testing.T) {
	all := append(Names(), PCTNames()...)
	s := slices.Clone(all)
	slices.Sort(s)
	if len(slices.Compact(s)) != len(all) {
		t.Fatal("duplicate self-test names")
	}
	if !Known("KAT-AES-GCM") || Known("KAT-NOPE") {
		t.Fatal("Known")
	}
	if err := New(Options{}).RunTest("KAT-NOPE"); err == nil {
		t.Fatal("unknown name accepted")
	}
}

// TestWrongAnswerFails shows the KATs can fail: a wrong expected value is
// detected, and a panicking primitive becomes a FailureError.
func TestWrongAnswerFails(t *testing.T) {
	if katHMAC(sha256.New, hmacSHA384) == nil {
		t.Fatal("wrong expected HMAC accepted")
	}
	if expect([]byte{1}, "02") == nil {
		t.Fatal("expect accepted a mismatch")
	}
	r := New(Options{})
	err := r.guard("KAT-HMAC-SHA256", func() error { return katHMAC(nil, hmacSHA256) })
	if !errors.Is(err, ErrSelfTestFailed) {
		t.Fatalf("panic not converted: %v", err)
	}
}

// TestRegistryMatchesSpec: the registry's KATs and PCTs are exactly the
// self-tests of spec/architecture/self-tests.yaml, of the same kind.
func TestRegistryMatchesSpec(t *testing.T) {
	sp, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	var kats, pcts []string
	for _, st := range sp.Architecture.SelfTests {
		switch st.Kind {
		case "kat":
			kats = append(kats, st.Name)
		case "pct":
			pcts = append(pcts, st.Name)
		default:
			t.Errorf("self-test %s of kind %q has no counterpart in the registry", st.Name, st.Kind)
		}
	}
	if len(kats) == 0 || len(pcts) == 0 {
		t.Fatalf("the spec lists %d KATs and %d PCTs", len(kats), len(pcts))
	}
	for _, c := range []struct {
		what           string
		spec, registry []string
	}{{"KATs", kats, Names()}, {"PCTs", pcts, PCTNames()}} {
		s, r := slices.Sorted(slices.Values(c.spec)), slices.Sorted(slices.Values(c.registry))
		if !slices.Equal(s, r) {
			t.Errorf("%s: the spec lists %v, the registry has %v", c.what, s, r)
		}
	}
}

// TestDevicePCTs runs the pairwise consistency tests of the device's own
// key pairs on good keys, and the RSA one on a key whose halves do not
// match (forced failures of each are tested with the boundary).
func TestDevicePCTs(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err := ECDSAPair(ec); err != nil {
		t.Fatal(err)
	}
	dh, _ := ecdh.P384().GenerateKey(rand.Reader)
	if err := ECDHPair(dh); err != nil {
		t.Fatal(err)
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	if err := RSAOAEPPair(rk); err != nil {
		t.Fatal(err)
	}
	bad := *rk
	bad.D = new(big.Int).Add(rk.D, big.NewInt(2))
	bad.Precomputed = rsa.PrecomputedValues{}
	if err := RSAOAEPPair(&bad); err == nil {
		t.Error("RSA PCT passed a mismatched key pair")
	}
}
