package boundary_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/vault"
	"github.com/openihsm/openihsm/reference-impl/internal/statedir"
)

// snapshot reads every record of a state directory.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestZeroizeAllDestroysPersistentState provisions a device, keeps a copy
// of its state directory (a backup an attacker might hold), then zeroizes
// it: in the Operational state, and in the Error state of a failed
// power-on self-test, where the module has opened nothing and may use no
// algorithm. Either way the device stays Tampered or Zeroized across
// restarts, the records are gone, and neither the records nor the copy can
// be decrypted any more, since the fuse secret they derive from is erased.
func TestZeroizeAllDestroysPersistentState(t *testing.T) {
	for _, tc := range []struct {
		name      string
		forceFail string
		tamper    bool
		want      boundary.DeviceState
	}{
		{"operational/tamper", "", true, boundary.StateTampered},
		{"operational/zeroize", "", false, boundary.StateZeroized},
		{"error/tamper", "KAT-SHA2", true, boundary.StateTampered},
		{"error/zeroize", "KAT-ECDSA-P384", false, boundary.StateZeroized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 2)
			p := part(t, e.m, 0)
			must[[16]byte](t)(establish(t, e.m, p, pin))
			s, _, _ := openSession(t, p, 1, pin)
			must[boundary.KeyResult](t)(s.GenerateKey(keys.EccP256, keys.UsageSign, 0, ""))
			before := snapshot(t, e.dir)

			m := e.m
			if tc.forceFail != "" {
				var err error
				m, err = boundary.Open(e.store, boundary.Options{Partitions: 2, Serial: "IHSM-TEST",
					Clock: e.clk.Now, PINIterations: 1000, SelfTest: selftest.Options{ForceFail: tc.forceFail}})
				if err != nil || m.State() != boundary.StateError {
					t.Fatalf("forced self-test failure: state %v, %v", m.State(), err)
				}
			}
			if err := m.ZeroizeAll(tc.tamper); err != nil {
				t.Fatal(err)
			}
			if m.State() != tc.want {
				t.Fatalf("state %v, want %v", m.State(), tc.want)
			}
			for range 2 {
				m2, err := boundary.Open(e.store, e.opts)
				if err != nil || m2.State() != tc.want {
					t.Fatalf("after a restart: state %v, %v; want %v", m2.State(), err, tc.want)
				}
				if _, err := m2.CertificateChain(); err == nil {
					t.Fatal("a destroyed device still has its identity")
				}
			}
			after := snapshot(t, e.dir)
			for _, name := range []string{vault.FuseRecord, "identity", "partition-0", "partition-1"} {
				if bytes.Equal(after[name], before[name]) || len(after[name]) > 8 {
					t.Errorf("record %s survived: %d bytes", name, len(after[name]))
				}
			}
			// Nothing decrypts: neither the state left behind nor the old
			// records copied back over it.
			if _, _, err := vault.Open(e.store, nil); err == nil {
				t.Error("the vault opens without its fuse secret")
			}
			for name, b := range before {
				if name != vault.FuseRecord && name != vault.SentinelRecord {
					os.WriteFile(filepath.Join(e.dir, name), b, 0o600)
				}
			}
			if m3, err := boundary.Open(e.store, e.opts); err != nil || m3.State() != tc.want {
				t.Fatalf("old records restored: state %v, %v", m3.State(), err)
			}
			os.WriteFile(filepath.Join(e.dir, vault.SentinelRecord), before[vault.SentinelRecord], 0o600)
			if _, err := boundary.Open(e.store, e.opts); !errors.Is(err, boundary.ErrStateCorrupt) {
				t.Fatalf("old sentinel restored without its fuse secret: %v, want ErrStateCorrupt", err)
			}
		})
	}
}

// TestZeroizeStore destroys a state whose module cannot be opened.
func TestZeroizeStore(t *testing.T) {
	e := newEnv(t, 1)
	must[[16]byte](t)(establish(t, e.m, part(t, e.m, 0), pin))
	if err := boundary.ZeroizeStore(e.store, e.opts, true); err != nil {
		t.Fatal(err)
	}
	m, err := boundary.Open(e.store, e.opts)
	if err != nil || m.State() != boundary.StateTampered {
		t.Fatalf("state %v, %v", m.State(), err)
	}
}

// TestZeroizeInterrupted finishes an erasure a crash cut short: only the
// final-state record was written.
func TestZeroizeInterrupted(t *testing.T) {
	e := newEnv(t, 1)
	must[[16]byte](t)(establish(t, e.m, part(t, e.m, 0), pin))
	if err := vault.WriteFinal(e.store, uint8(boundary.StateZeroized), 1); err != nil {
		t.Fatal(err)
	}
	m, err := boundary.Open(e.store, e.opts)
	if err != nil || m.State() != boundary.StateZeroized {
		t.Fatalf("state %v, %v", m.State(), err)
	}
	if b, _ := e.store.Read(vault.FuseRecord); len(b) == 32 {
		t.Fatal("the fuse secret survived the next power-on")
	}
}

// TestMissingRecordsRefused: a record missing from an existing state is
// corruption, never re-created; an erased partition comes back
// unprovisioned.
func TestMissingRecordsRefused(t *testing.T) {
	for _, name := range []string{"partition-0", "partition-1", "identity"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 2)
			must[[16]byte](t)(establish(t, e.m, part(t, e.m, 0), pin))
			os.Remove(filepath.Join(e.dir, name))
			if _, err := boundary.Open(e.store, e.opts); !errors.Is(err, boundary.ErrStateCorrupt) {
				t.Fatalf("missing %s: %v, want ErrStateCorrupt", name, err)
			}
			if _, err := os.Stat(filepath.Join(e.dir, name)); err == nil {
				t.Fatalf("%s silently re-created", name)
			}
		})
	}
	e := newEnv(t, 1)
	must[[16]byte](t)(establish(t, e.m, part(t, e.m, 0), pin))
	if err := vault.Erase(e.store, "partition-0"); err != nil {
		t.Fatal(err)
	}
	e.reopen(t)
	if st := part(t, e.m, 0).State(); st != boundary.PartitionUnprovisioned {
		t.Fatalf("erased partition: state %v", st)
	}
}

// TestFirstStartInterrupted: a first start cut short before the sentinel
// record leaves a state that starts over.
func TestFirstStartInterrupted(t *testing.T) {
	e := newEnv(t, 2)
	chain := must[[][]byte](t)(e.m.CertificateChain())
	recs := snapshot(t, e.dir)
	for _, keep := range [][]string{
		{vault.FuseRecord},
		{vault.FuseRecord, "identity"},
		{vault.FuseRecord, "identity", "partition-0"},
		{vault.FuseRecord, "identity", "partition-0", "partition-1"},
	} {
		dir := t.TempDir()
		for _, name := range keep {
			os.WriteFile(filepath.Join(dir, name), recs[name], 0o600)
		}
		st, err := statedir.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := boundary.Open(st, e.opts)
		if err != nil || m.State() != boundary.StateOperational {
			t.Fatalf("kept %v: state %v, %v", keep, m.State(), err)
		}
		got := must[[][]byte](t)(m.CertificateChain())
		if bytes.Equal(got[0], chain[0]) {
			t.Fatalf("kept %v: the unfinished identity was used", keep)
		}
	}
}

// TestOwnKeyPCTs: the device's own key pairs pass a pairwise consistency
// test when they are made (identity keys and credential keys at first
// start, the unwrapping key on first use), and a forced failure of each
// enters the Error state instead of using the key.
func TestOwnKeyPCTs(t *testing.T) {
	results := func(m *boundary.Module) map[string]selftest.Status {
		out := map[string]selftest.Status{}
		for _, r := range m.SelfTestResults() {
			out[r.Name] = r.Status
		}
		return out
	}
	e := newEnv(t, 1)
	if r := results(e.m); r[selftest.PCTECDSA] != selftest.Passed || r[selftest.PCTECDH] != selftest.Passed {
		t.Fatalf("first start ran no PCT of its identity and credential keys: %v", r)
	}
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	s, _, _ := openSession(t, p, 1, pin)
	must[[]byte](t)(s.UnwrappingKey())
	if r := results(e.m); r[selftest.PCTRSA] != selftest.Passed {
		t.Fatalf("the unwrapping key had no PCT: %v", r)
	}

	// First start with a failing PCT: the Error state, not an error.
	for _, name := range []string{selftest.PCTECDSA, selftest.PCTECDH} {
		st, err := statedir.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		m, err := boundary.Open(st, boundary.Options{PINIterations: 1000, SelfTest: selftest.Options{ForceFail: name}})
		if err != nil || m.State() != boundary.StateError || !errors.Is(m.Err(), boundary.ErrSelfTestFailed) {
			t.Fatalf("first start with %s failing: state %v, %v", name, m.State(), err)
		}
	}

	// The unwrapping key and the credential key made by Zeroize.
	e2 := newEnv(t, 1)
	e2.opts.SelfTest.ForceFail = selftest.PCTRSA
	e2.reopen(t)
	p = part(t, e2.m, 0)
	must[[16]byte](t)(establish(t, e2.m, p, pin))
	s, _, _ = openSession(t, p, 1, pin)
	if _, err := s.UnwrappingKey(); !errors.Is(err, boundary.ErrSelfTestFailed) || e2.m.State() != boundary.StateError {
		t.Fatalf("unwrapping key with PCT-RSA failing: %v, state %v", err, e2.m.State())
	}
	e.opts.SelfTest.ForceFail = selftest.PCTECDH
	e.reopen(t)
	p = part(t, e.m, 0)
	if err := p.Zeroize(); !errors.Is(err, boundary.ErrSelfTestFailed) || e.m.State() != boundary.StateError {
		t.Fatalf("Zeroize with PCT-ECDH failing: %v, state %v", err, e.m.State())
	}
	e.opts.SelfTest.ForceFail = ""
	e.reopen(t)
	if st := part(t, e.m, 0).State(); st != boundary.PartitionUnprovisioned {
		t.Fatalf("a Zeroize whose new credential key failed its PCT left the partition %v", st)
	}
}
