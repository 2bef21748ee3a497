package boundary_test

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/identity"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/kdf"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/reference-impl/internal/statedir"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	dir   string
	clk   *clock
	opts  boundary.Options
	m     *boundary.Module
	store *statedir.Dir
}

func newEnv(t testing.TB, partitions int) *env {
	t.Helper()
	e := &env{dir: filepath.Join(t.TempDir(), "state"), clk: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	e.opts = boundary.Options{Partitions: partitions, Serial: "IHSM-TEST", FirmwareVersion: "0.1.0",
		FirmwareMeasurement: sha512.Sum384([]byte("firmware")), Clock: e.clk.Now, PINIterations: 1000}
	e.reopen(t)
	return e
}

func (e *env) reopen(t testing.TB) {
	t.Helper()
	var err error
	if e.store, err = statedir.Open(e.dir); err != nil {
		t.Fatal(err)
	}
	if e.m, err = boundary.Open(e.store, e.opts); err != nil {
		t.Fatal(err)
	}
	if e.m.State() != boundary.StateOperational {
		t.Fatalf("state %v: %v", e.m.State(), e.m.Err())
	}
}

func part(t testing.TB, m *boundary.Module, i int) *boundary.Partition {
	t.Helper()
	p, err := m.Partition(i)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var pin = []byte("correct horse")

func establish(t testing.TB, m *boundary.Module, p *boundary.Partition, pin []byte) ([16]byte, error) {
	t.Helper()
	pub, nonce, sig, err := p.CredentialKey()
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := m.CertificateChain()
	if err := identity.VerifyCredentialKey(chain[2], pub, nonce, sig); err != nil {
		t.Fatal(err)
	}
	cp, sealed, _, err := boundary.ClientCredential(pub, nonce, kdf.LabelEstablish, boundary.OpEstablishCredential, pin)
	if err != nil {
		t.Fatal(err)
	}
	return p.EstablishCredential(cp, sealed)
}

func openSession(t testing.TB, p *boundary.Partition, id uint32, pin []byte) (*boundary.Session, *boundary.ChannelKeys, error) {
	t.Helper()
	pub, nonce, _, err := p.CredentialKey()
	if err != nil {
		t.Fatal(err)
	}
	cp, sealed, ch, err := boundary.ClientCredential(pub, nonce, kdf.LabelSession, boundary.OpOpenSession, pin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.OpenSession(id, cp, sealed)
	return s, ch, err
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestProvisionSessionChannel(t *testing.T) {
	e := newEnv(t, 2)
	p := part(t, e.m, 0)
	if p.State() != boundary.PartitionUnprovisioned {
		t.Fatal("new partition provisioned")
	}
	if _, _, err := openSession(t, p, 1, pin); !errors.Is(err, boundary.ErrPartitionNotProvisioned) {
		t.Fatalf("session on unprovisioned: %v", err)
	}
	if _, err := establish(t, e.m, p, []byte("short")); !errors.Is(err, boundary.ErrPinPolicyViolation) {
		t.Fatalf("short PIN: %v", err)
	}
	id, err := establish(t, e.m, p, pin)
	if err != nil || id == ([16]byte{}) || p.ID() != id || p.State() != boundary.PartitionProvisioned {
		t.Fatalf("establish: %v", err)
	}
	if _, err := establish(t, e.m, p, pin); !errors.Is(err, boundary.ErrPartitionAlreadyProvisioned) {
		t.Fatalf("second establish: %v", err)
	}
	// no outstanding nonce
	cp, sealed, _, _ := boundary.ClientCredential(must[[]byte](t)(firstOf(p.CredentialKey())), make([]byte, 32), kdf.LabelSession, boundary.OpOpenSession, pin)
	if _, err := p.OpenSession(1, cp, sealed); !errors.Is(err, boundary.ErrCredentialDecryptFailed) {
		t.Fatalf("wrong nonce: %v", err)
	}
	if _, err := p.OpenSession(1, cp, sealed); !errors.Is(err, boundary.ErrNonceInvalid) {
		t.Fatalf("nonce reuse: %v", err)
	}
	// bad client key, wrong opcode binding
	pub, nonce, _, _ := p.CredentialKey()
	if _, err := p.OpenSession(1, []byte{4, 1}, sealed); !errors.Is(err, boundary.ErrInvalidPublicKey) {
		t.Fatalf("bad client key: %v", err)
	}
	_, nonce, _, _ = p.CredentialKey()
	cp, sealed, _, _ = boundary.ClientCredential(pub, nonce, kdf.LabelSession, boundary.OpReopenSession, pin)
	if _, err := p.OpenSession(1, cp, sealed); !errors.Is(err, boundary.ErrCredentialDecryptFailed) {
		t.Fatalf("PIN sealed for another opcode: %v", err)
	}
	if _, _, err := openSession(t, p, 1, []byte("wrong pin!")); !errors.Is(err, boundary.ErrPinIncorrect) {
		t.Fatalf("wrong PIN: %v", err)
	}
	s, ch, err := openSession(t, p, 1, pin)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := openSession(t, p, 1, pin); !errors.Is(err, boundary.ErrInvalidArgument) {
		t.Fatalf("duplicate session id: %v", err)
	}
	// channel: client seals with its copy; the device opens with the session's
	hdr := []byte("header")
	req := ch.SealRequest(1, hdr, []byte("body"))
	got, err := s.Channel().OpenRequest(nil, 1, hdr, req)
	if err != nil || string(got) != "body" {
		t.Fatalf("OpenRequest: %v", err)
	}
	for _, bad := range []struct {
		seq uint64
		aad []byte
		msg []byte
	}{{2, hdr, req}, {1, []byte("other"), req}, {1, hdr, append(bytes.Clone(req[:len(req)-1]), req[len(req)-1]^1)}} {
		if _, err := s.Channel().OpenRequest(nil, bad.seq, bad.aad, bad.msg); !errors.Is(err, boundary.ErrChannelAuthFailed) {
			t.Fatalf("bad request accepted: %v", err)
		}
	}
	resp := s.Channel().SealResponse(nil, 1, hdr, []byte("ok"))
	if got, err := ch.OpenResponse(1, hdr, resp); err != nil || string(got) != "ok" {
		t.Fatal("OpenResponse", err)
	}
	if _, err := ch.OpenRequest(nil, 1, hdr, resp); err == nil {
		t.Fatal("a response opened as a request (direction not bound)")
	}
	// reopen gives new channel keys, same session
	pub, nonce, _, _ = p.CredentialKey()
	cp, sealed, ch2, _ := boundary.ClientCredential(pub, nonce, kdf.LabelSession, boundary.OpReopenSession, pin)
	s2, err := p.ReopenSession(1, cp, sealed)
	if err != nil || s2 != s {
		t.Fatal("reopen", err)
	}
	if _, err := s.Channel().OpenRequest(nil, 1, hdr, ch2.SealRequest(1, hdr, nil)); err != nil {
		t.Fatal("new channel keys not installed")
	}
	if _, err := s.Channel().OpenRequest(nil, 1, hdr, req); err == nil {
		t.Fatal("old channel keys still accepted")
	}
	if _, err := p.ReopenSession(9, cp, sealed); !errors.Is(err, boundary.ErrSessionNotFound) {
		t.Fatal(err)
	}
	// ChangePin
	if err := s.ChangePin(bytes.Clone(pin), []byte("x")); !errors.Is(err, boundary.ErrPinPolicyViolation) {
		t.Fatal(err)
	}
	if err := s.ChangePin([]byte("not the pin"), []byte("new pin 1234")); !errors.Is(err, boundary.ErrPinIncorrect) {
		t.Fatal(err)
	}
	if err := s.ChangePin(bytes.Clone(pin), []byte("new pin 1234")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openSession(t, p, 2, pin); !errors.Is(err, boundary.ErrPinIncorrect) {
		t.Fatal("old PIN still works")
	}
	if _, _, err := openSession(t, p, 2, []byte("new pin 1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListKeys(); !errors.Is(err, boundary.ErrSessionNotFound) {
		t.Fatal("closed session usable")
	}
	if _, err := p.Session(1); !errors.Is(err, boundary.ErrSessionNotFound) {
		t.Fatal("closed session listed")
	}
}

func firstOf(a, b, c []byte, err error) ([]byte, error) { return a, err }

func TestKeysMaskingAttestationPersistence(t *testing.T) {
	e := newEnv(t, 2)
	p0, p1 := part(t, e.m, 0), part(t, e.m, 1)
	must[[16]byte](t)(establish(t, e.m, p0, pin))
	must[[16]byte](t)(establish(t, e.m, p1, pin))
	s, _, err := openSession(t, p0, 1, pin)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := openSession(t, p0, 2, pin)
	s1, _, _ := openSession(t, p1, 1, pin)

	blobs := map[keys.Kind][]byte{}
	for _, k := range keys.Kinds() {
		if k == keys.Rsa3072 || k == keys.Rsa4096 {
			continue // covered in package keys; slow under -race
		}
		r, err := s.GenerateKey(k, k.Permitted()&^keys.UsageSessionOnly, uint16(k), "label")
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		blobs[k] = r.MaskedKey
		if err := s.DeleteKey(r.Handle); err != nil {
			t.Fatal(err)
		}
		u, err := s.UnmaskKey(r.MaskedKey)
		if err != nil || u.Kind != k || u.Tag != uint16(k) || u.Label != "label" || !bytes.Equal(u.PublicKey, r.PublicKey) {
			t.Fatalf("%v: unmask %v", k, err)
		}
		if _, err := s1.UnmaskKey(r.MaskedKey); !errors.Is(err, boundary.ErrMaskedKeyWrongPartition) {
			t.Fatalf("%v: other partition: %v", k, err)
		}
		bad := bytes.Clone(r.MaskedKey)
		bad[len(bad)-1] ^= 1
		if _, err := s.UnmaskKey(bad); !errors.Is(err, boundary.ErrMaskedKeyTampered) {
			t.Fatalf("%v: tampered: %v", k, err)
		}
	}
	if _, err := s.UnmaskKey(blobs[keys.Aes256]); !errors.Is(err, boundary.ErrKeyTagExists) {
		t.Fatalf("unmask twice with tag: %v", err)
	}
	// session-only keys: visible to their session only, die with it
	sk, err := s.GenerateKey(keys.EccP256, keys.UsageSign|keys.UsageSessionOnly, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("m"))
	if _, err := other.Sign(sk.Handle, keys.EcdsaSha256, d[:]); !errors.Is(err, boundary.ErrKeyNotFound) {
		t.Fatalf("other session used a session key: %v", err)
	}
	if _, err := other.UnmaskKey(sk.MaskedKey); !errors.Is(err, boundary.ErrMaskedKeyWrongPartition) {
		t.Fatalf("other session unmasked a session blob: %v", err)
	}
	sig, err := s.Sign(sk.Handle, keys.EcdsaSha256, d[:])
	if err != nil || !ecdsa.VerifyASN1(parseEC(t, sk.PublicKey), d[:], sig) {
		t.Fatal("session key sign", err)
	}
	// attestation
	ec, _ := s.OpenKey(uint16(keys.EccP256))
	rep, err := s.AttestKey(ec.Handle, []byte("rd"))
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := e.m.CertificateChain()
	kr, err := identity.VerifyKeyReport(rep, chain)
	if err != nil || !bytes.Equal(kr.PublicKey, ec.PublicKey) || kr.Flags != identity.FlagGenerated|identity.FlagPersistent || string(kr.ReportData) != "rd" {
		t.Fatalf("key report %+v %v", kr, err)
	}
	if pid := p0.ID(); !bytes.Equal(kr.PartitionID, pid[:]) {
		t.Fatal("partition id")
	}
	rep, _ = s.AttestKey(sk.Handle, nil)
	if kr, _ := identity.VerifyKeyReport(rep, chain); kr.Flags != identity.FlagGenerated|identity.FlagSessionOnly {
		t.Fatalf("session flags %d", kr.Flags)
	}
	if _, err := s.AttestKey(ec.Handle, make([]byte, 65)); !errors.Is(err, boundary.ErrInvalidLength) {
		t.Fatal(err)
	}
	dr, err := e.m.DeviceAttestation([]byte("n"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := identity.VerifyDeviceReport(dr, chain); err != nil || r.DeviceState != uint32(boundary.StateOperational) {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Sign(sk.Handle, keys.EcdsaSha256, d[:]); !errors.Is(err, boundary.ErrKeyNotFound) {
		t.Fatal("session key survived")
	}

	// restart: identity, credential and masking root persist; keys come
	// back through their blobs.
	e.reopen(t)
	chain2, _ := e.m.CertificateChain()
	for i := range chain {
		if !bytes.Equal(chain[i], chain2[i]) {
			t.Fatalf("certificate %d changed across restart", i)
		}
	}
	p0 = part(t, e.m, 0)
	if p0.State() != boundary.PartitionProvisioned {
		t.Fatal("provisioning lost")
	}
	s, _, err = openSession(t, p0, 1, pin)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := s.ListKeys(); len(l) != 0 {
		t.Fatal("application keys are volatile")
	}
	r, err := s.UnmaskKey(blobs[keys.Ed25519])
	if err != nil {
		t.Fatal("blob after restart", err)
	}
	sig, _ = s.Sign(r.Handle, keys.AlgEd25519, []byte("msg"))
	pk, _ := x509.ParsePKIXPublicKey(r.PublicKey)
	if !ed25519.Verify(pk.(ed25519.PublicKey), []byte("msg"), sig) {
		t.Fatal("restored Ed25519 key")
	}
	// zeroize the partition: everything goes, old blobs stop working
	if err := p0.Zeroize(); err != nil {
		t.Fatal(err)
	}
	if p0.State() != boundary.PartitionUnprovisioned {
		t.Fatal("zeroize state")
	}
	if _, err := s.ListKeys(); !errors.Is(err, boundary.ErrSessionNotFound) {
		t.Fatal("session survived zeroize")
	}
	must[[16]byte](t)(establish(t, e.m, p0, pin))
	s, _, _ = openSession(t, p0, 1, pin)
	if _, err := s.UnmaskKey(blobs[keys.Ed25519]); !errors.Is(err, boundary.ErrMaskedKeyWrongPartition) {
		t.Fatalf("old blob after zeroize: %v", err)
	}
}

func parseEC(t testing.TB, der []byte) *ecdsa.PublicKey {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PublicKey)
}

func TestLockoutBackoff(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	wrong := []byte("wrong pin")
	for i := 1; i <= 5; i++ {
		if _, _, err := openSession(t, p, 1, wrong); !errors.Is(err, boundary.ErrPinIncorrect) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if p.State() != boundary.PartitionLockedOut {
		t.Fatal("not locked after 5 failures")
	}
	if _, _, err := openSession(t, p, 1, pin); !errors.Is(err, boundary.ErrPinLockedOut) {
		t.Fatalf("locked: %v", err)
	}
	// the lockout survives a restart
	e.reopen(t)
	p = part(t, e.m, 0)
	if _, _, err := openSession(t, p, 1, pin); !errors.Is(err, boundary.ErrPinLockedOut) {
		t.Fatalf("locked after restart: %v", err)
	}
	e.clk.Add(time.Second)
	if _, _, err := openSession(t, p, 1, wrong); !errors.Is(err, boundary.ErrPinIncorrect) {
		t.Fatalf("after 1 s: %v", err)
	}
	e.clk.Add(time.Second) // backoff is now 2 s
	if _, _, err := openSession(t, p, 1, pin); !errors.Is(err, boundary.ErrPinLockedOut) {
		t.Fatalf("within 2 s backoff: %v", err)
	}
	e.clk.Add(time.Second)
	if _, _, err := openSession(t, p, 1, pin); err != nil {
		t.Fatalf("after backoff: %v", err)
	}
	if p.State() != boundary.PartitionProvisioned {
		t.Fatal("success did not reset the lockout")
	}
	// the backoff is capped at 1024 s
	for i := 0; i < 20; i++ {
		e.clk.Add(2000 * time.Second)
		openSession(t, p, 2, wrong)
	}
	e.clk.Add(1024 * time.Second)
	if _, _, err := openSession(t, p, 2, pin); err != nil {
		t.Fatalf("cap: %v", err)
	}
}

func TestSelfTestFailuresEnterError(t *testing.T) {
	for _, name := range selftest.Names() {
		t.Run(name, func(t *testing.T) {
			st, _ := statedir.Open(t.TempDir())
			m, err := boundary.Open(st, boundary.Options{SelfTest: selftest.Options{ForceFail: name}})
			if err != nil {
				t.Fatal(err)
			}
			if m.State() != boundary.StateError || !errors.Is(m.Err(), boundary.ErrSelfTestFailed) {
				t.Fatalf("state %v err %v", m.State(), m.Err())
			}
			if _, err := m.CertificateChain(); !errors.Is(err, boundary.ErrDeviceNotOperational) {
				t.Fatal(err)
			}
			if err := m.RunSelfTest(); !errors.Is(err, boundary.ErrSelfTestFailed) {
				t.Fatal(err)
			}
			if err := m.ZeroizeAll(false); err != nil || m.State() != boundary.StateZeroized {
				t.Fatal("zeroize in error state", err)
			}
		})
	}
	pcts := map[string]keys.Kind{selftest.PCTECDSA: keys.EccP256, selftest.PCTECDH: keys.EccP384, selftest.PCTEd25519: keys.Ed25519,
		selftest.PCTMLDSA65: keys.MlDsa65, selftest.PCTMLKEM: keys.MlKem768, selftest.PCTRSA: keys.Rsa2048}
	for _, name := range selftest.PCTNames() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 1)
			e.opts.SelfTest.ForceFail = name
			e.reopen(t)
			p := part(t, e.m, 0)
			must[[16]byte](t)(establish(t, e.m, p, pin))
			s, _, _ := openSession(t, p, 1, pin)
			k := pcts[name]
			if _, err := s.GenerateKey(k, k.Permitted()&^keys.UsageSessionOnly, 0, ""); !errors.Is(err, boundary.ErrSelfTestFailed) {
				t.Fatalf("generate: %v", err)
			}
			if e.m.State() != boundary.StateError {
				t.Fatal("PCT failure did not enter Error")
			}
			if _, err := s.ListKeys(); !errors.Is(err, boundary.ErrDeviceNotOperational) {
				t.Fatal(err)
			}
		})
	}
}

// TestZeroizeAllInErrorSurvivesRestart: zeroize-all and tamper in the
// Error state of a failed power-on self-test, where the vault was never
// opened, still destroy every record and end in a state that survives a
// restart with healthy self-tests.
func TestZeroizeAllInErrorSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		tamper bool
		want   boundary.DeviceState
	}{{false, boundary.StateZeroized}, {true, boundary.StateTampered}} {
		t.Run(fmt.Sprint(tc.want), func(t *testing.T) {
			e := newEnv(t, 2)
			must[[16]byte](t)(establish(t, e.m, part(t, e.m, 0), pin))
			e.opts.SelfTest.ForceFail = selftest.Names()[0]
			var err error
			if e.m, err = boundary.Open(e.store, e.opts); err != nil || e.m.State() != boundary.StateError {
				t.Fatalf("forced self-test failure: state %v, %v", e.m.State(), err)
			}
			if err := e.m.ZeroizeAll(tc.tamper); err != nil || e.m.State() != tc.want {
				t.Fatalf("zeroize-all in Error: state %v, %v", e.m.State(), err)
			}
			e.opts.SelfTest.ForceFail = ""
			for _, force := range []string{"", selftest.Names()[1]} {
				e.opts.SelfTest.ForceFail = force
				m, err := boundary.Open(e.store, e.opts)
				if err != nil {
					t.Fatal(err)
				}
				if m.State() != tc.want {
					t.Fatalf("after a restart (forced failure %q): state %v, want %v", force, m.State(), tc.want)
				}
				if _, err := m.Partition(0); err == nil {
					t.Error("a partition of the zeroized state is still there")
				}
			}
			for _, rec := range []string{"partition-0", "partition-1", "identity"} {
				b, err := e.store.Read(rec)
				if err == nil && len(b) > 4 {
					t.Errorf("record %s still holds %d bytes", rec, len(b))
				}
			}
		})
	}
}

func TestZeroizeAllAndStateRefusals(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	s, _, _ := openSession(t, p, 1, pin)
	if err := e.m.ZeroizeAll(true); err != nil {
		t.Fatal(err)
	}
	if e.m.State() != boundary.StateTampered {
		t.Fatal("state")
	}
	if _, err := s.ListKeys(); !errors.Is(err, boundary.ErrDeviceTampered) {
		t.Fatal(err)
	}
	if _, _, _, err := p.CredentialKey(); !errors.Is(err, boundary.ErrDeviceTampered) {
		t.Fatal(err)
	}
	m2, err := boundary.Open(e.store, e.opts)
	if err != nil || m2.State() != boundary.StateTampered {
		t.Fatalf("tamper not persistent: %v %v", m2.State(), err)
	}

	// corrupt and foreign records are refused, never replaced
	e2 := newEnv(t, 1)
	f := filepath.Join(e2.dir, "identity")
	good, _ := os.ReadFile(f)
	bad := bytes.Clone(good)
	bad[40] ^= 1
	os.WriteFile(f, bad, 0o600)
	if _, err := boundary.Open(e2.store, e2.opts); !errors.Is(err, boundary.ErrStateCorrupt) {
		t.Fatalf("corrupt: %v", err)
	}
	e3 := newEnv(t, 1)
	foreign, _ := os.ReadFile(filepath.Join(e3.dir, "identity"))
	os.WriteFile(f, foreign, 0o600)
	if _, err := boundary.Open(e2.store, e2.opts); !errors.Is(err, boundary.ErrStateForeign) {
		t.Fatalf("foreign: %v", err)
	}
	os.WriteFile(f, good, 0o600)
	os.Remove(filepath.Join(e2.dir, "fuse"))
	if _, err := boundary.Open(e2.store, e2.opts); !errors.Is(err, boundary.ErrStateCorrupt) {
		t.Fatalf("missing fuse: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e2.dir, "fuse")); err == nil {
		t.Fatal("fuse silently re-created")
	}
	e4 := newEnv(t, 1)
	e4.opts.Partitions = 2
	if _, err := boundary.Open(e4.store, e4.opts); err == nil {
		t.Fatal("partition count change accepted")
	}
}

func TestUnwrapKey(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	s, _, _ := openSession(t, p, 1, pin)
	spki, err := s.UnwrappingKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.ParsePKIXPublicKey(spki)
	rpub := pub.(*rsa.PublicKey)
	if rpub.N.BitLen() != 3072 {
		t.Fatal("unwrapping key size")
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	kek := make([]byte, 32)
	rand.Read(kek)
	head, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, rpub, kek, nil)
	b, _ := aes.NewCipher(kek)
	tail, _ := keywrap.Wrap(b, p8)
	r, err := s.UnwrapKey(append(head, tail...), keys.Ed25519, keys.UsageSign, 5, "imported")
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := s.Sign(r.Handle, keys.AlgEd25519, []byte("m"))
	if !ed25519.Verify(edPriv.Public().(ed25519.PublicKey), []byte("m"), sig) {
		t.Fatal("imported key")
	}
	rep, _ := s.AttestKey(r.Handle, nil)
	chain, _ := e.m.CertificateChain()
	if kr, err := identity.VerifyKeyReport(rep, chain); err != nil || kr.Flags&identity.FlagImported == 0 {
		t.Fatal("imported flag", err)
	}
	if _, err := s.UnwrapKey(append(head, tail[1:]...), keys.Ed25519, keys.UsageSign, 0, ""); !errors.Is(err, boundary.ErrUnwrapFailed) {
		t.Fatal(err)
	}
	// the unwrapping key persists
	e.reopen(t)
	s, _, _ = openSession(t, part(t, e.m, 0), 1, pin)
	if again, _ := s.UnwrappingKey(); !bytes.Equal(again, spki) {
		t.Fatal("unwrapping key changed across restart")
	}
}

func TestConcurrentSessions(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	s0, _, _ := openSession(t, p, 100, pin)
	k, _ := s0.GenerateKey(keys.EccP256, keys.UsageSign|keys.UsageVerify, 1, "")
	a, _ := s0.GenerateKey(keys.Aes256, keys.UsageEncrypt|keys.UsageDecrypt, 2, "")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 4 {
		s, _, err := openSession(t, p, uint32(i+1), pin)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := sha256.Sum256([]byte{byte(i)})
			for range 40 {
				sig, err := s.Sign(k.Handle, keys.EcdsaSha256, d[:])
				if err == nil {
					err = s.Verify(k.Handle, keys.EcdsaSha256, d[:], sig)
				}
				if err == nil {
					var ct, iv []byte
					ct, iv, err = s.Encrypt(a.Handle, keys.AesGcm, d[:], nil, nil)
					if err == nil {
						_, err = s.Decrypt(a.Handle, keys.AesGcm, ct, iv, nil)
					}
				}
				if err == nil {
					var r boundary.KeyResult
					r, err = s.GenerateKey(keys.HmacSha256, keys.UsageSign|keys.UsageSessionOnly, 0, "")
					if err == nil {
						_, err = s.Hmac(r.Handle, d[:])
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if l, _ := s0.ListKeys(); len(l) != 2 {
		t.Fatalf("session keys leaked: %d", len(l))
	}
}

func BenchmarkECDSAP256Sign(b *testing.B) {
	e := newEnv(b, 1)
	p := part(b, e.m, 0)
	must[[16]byte](b)(establish(b, e.m, p, pin))
	s, _, _ := openSession(b, p, 1, pin)
	k, _ := s.GenerateKey(keys.EccP256, keys.UsageSign, 0, "")
	d := sha256.Sum256([]byte("bench"))
	b.Run("module", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Sign(k.Handle, keys.EcdsaSha256, d[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("raw", func(b *testing.B) {
		raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ecdsa.SignASN1(rand.Reader, raw, d[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
