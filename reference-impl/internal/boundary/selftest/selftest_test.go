package selftest

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
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
