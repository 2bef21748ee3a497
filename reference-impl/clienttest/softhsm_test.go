//go:build softhsm

package clienttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

// softHSMLib is Debian's softhsm2 module; SOFTHSM2_LIB overrides it.
const softHSMLib = "/usr/lib/softhsm/libsofthsm2.so"

// prime256v1 is the DER of the P-256 curve OID (RFC 5480 §2.1.1.1), the
// CKA_EC_PARAMS of a P-256 key.
var prime256v1 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// softHSMPaths measures ECDSA P-256 sign through SoftHSM2 over PKCS#11, in
// process, the way an application would use it: a fresh token in a
// private directory, the user logged in, one P-256 key pair as token
// objects (persistent, as HSM keys are) and one as session objects, and
// per worker its own read-only session doing C_SignInit + C_Sign of a
// SHA-256 digest.
func softHSMPaths(tb testing.TB) []benchPath {
	tb.Helper()
	lib := softHSMLib
	if l := os.Getenv("SOFTHSM2_LIB"); l != "" {
		lib = l
	}
	dir := tb.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens)), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SOFTHSM2_CONF", conf)
	p := pkcs11.New(lib)
	if p == nil {
		tb.Fatalf("softhsm: cannot load %s (make bench-softhsm installs Debian's softhsm2)", lib)
	}
	if err := p.Initialize(); err != nil {
		tb.Fatalf("softhsm: C_Initialize: %v", err)
	}
	const label, soPIN, userPIN = "bench", "5678", "12345678"
	slot := softHSMSlot(tb, p, "")
	if err := p.InitToken(slot, soPIN, label); err != nil {
		tb.Fatalf("softhsm: C_InitToken: %v", err)
	}
	// SoftHSM2 gives an initialised token a new slot id.
	slot = softHSMSlot(tb, p, label)
	admin, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.Login(admin, pkcs11.CKU_SO, soPIN); err != nil {
		tb.Fatal(err)
	}
	if err := p.InitPIN(admin, userPIN); err != nil {
		tb.Fatal(err)
	}
	p.Logout(admin)
	if err := p.Login(admin, pkcs11.CKU_USER, userPIN); err != nil {
		tb.Fatal(err)
	}
	var sessions []pkcs11.SessionHandle
	tb.Cleanup(func() {
		for _, s := range sessions {
			p.CloseSession(s)
		}
		p.Logout(admin)
		p.CloseSession(admin)
		p.Finalize()
		p.Destroy()
	})
	keyPair := func(token bool) pkcs11.ObjectHandle {
		pub := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, token),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, prime256v1),
		}
		priv := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, token),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		}
		_, k, err := p.GenerateKeyPair(admin, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}, pub, priv)
		if err != nil {
			tb.Fatalf("softhsm: C_GenerateKeyPair: %v", err)
		}
		return k
	}
	workers := func(k pkcs11.ObjectHandle, n int) []func() error {
		var fs []func() error
		for range n {
			s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				tb.Fatal(err)
			}
			sessions = append(sessions, s)
			mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
			fs = append(fs, func() error {
				if err := p.SignInit(s, mech, k); err != nil {
					return err
				}
				_, err := p.Sign(s, digest[:])
				return err
			})
		}
		return fs
	}
	token, sess := keyPair(true), keyPair(false)
	return []benchPath{
		{"softhsm2-1 token key", "raw-1", workers(token, 1)},
		{"softhsm2-1 session key", "raw-1", workers(sess, 1)},
		{"softhsm2-2 session key", "raw-2", workers(sess, 2)},
	}
}

// softHSMSlot returns the slot whose token has label, or with label ""
// the first slot with an uninitialised token.
func softHSMSlot(tb testing.TB, p *pkcs11.Ctx, label string) uint {
	tb.Helper()
	slots, err := p.GetSlotList(true)
	if err != nil {
		tb.Fatalf("softhsm: C_GetSlotList: %v", err)
	}
	for _, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err != nil {
			continue
		}
		initialised := ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0
		if label == "" && !initialised || label != "" && initialised && strings.TrimRight(ti.Label, " ") == label {
			return s
		}
	}
	tb.Fatalf("softhsm: no slot with token %q", label)
	return 0
}

// softHSMRecorded is unused when SoftHSM2 is measured.
func softHSMRecorded() softHSMFigure { return softHSMFigure{} }
