package boundary

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/kdf"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/vault"
)

// Protocol limits (architecture/limits) and opcodes bound into sealed PINs.
const (
	MinPIN         = 8
	MaxPIN         = 64
	MaxPINAttempts = 5
	maxBackoff     = 1024 * time.Second

	OpEstablishCredential uint16 = 0x0202
	OpChangePin           uint16 = 0x0203
	OpOpenSession         uint16 = 0x0301
	OpReopenSession       uint16 = 0x0303
)

// partitionRecord is the persistent state of a partition (vault record
// "partition-N"). Secret fields are cleared after use.
type partitionRecord struct {
	ID          []byte `cbor:"1,keyasint"`
	Provisioned bool   `cbor:"2,keyasint"`
	MaskingRoot []byte `cbor:"3,keyasint"`
	Credential  []byte `cbor:"4,keyasint"` // PKCS#8 P-384
	Unwrapping  []byte `cbor:"5,keyasint"` // PKCS#8 RSA-3072, created on first use
	PINSalt     []byte `cbor:"6,keyasint"`
	PINVerifier []byte `cbor:"7,keyasint"`
	PINIter     int    `cbor:"8,keyasint"`
	Failures    int    `cbor:"9,keyasint"`
	LockedUntil int64  `cbor:"10,keyasint"` // Unix nanoseconds; 0 = not locked
}

// Partition is one partition: its credential, sessions and key store.
type Partition struct {
	m     *Module
	index int
	keys  *keys.Store

	mu          sync.Mutex // credential state, nonce, persistence
	id          [16]byte
	provisioned bool
	masking     *secret.Bytes
	maskAEAD    cipher.AEAD
	cred        *ecdh.PrivateKey
	credPub     []byte
	unwrap      *rsa.PrivateKey
	pinSalt     []byte
	pinVerifier *secret.Bytes
	pinIter     int
	failures    int
	lockedUntil int64
	nonce       []byte // outstanding single-use credential nonce

	sessMu   sync.RWMutex
	sessions map[uint32]*Session
}

// newPartition creates partition i of a new device: unprovisioned, with a
// fresh credential key, persisted.
func newPartition(m *Module, i int) (*Partition, error) {
	p := &Partition{m: m, index: i, keys: keys.NewStore(m.tests, m.opts.MaxKeys), sessions: map[uint32]*Session{}}
	if err := p.reset(); err != nil {
		return nil, err
	}
	return p, p.persist()
}

// loadPartition loads partition i of an existing device. A record erased
// by [Module.ErasePartition] comes back unprovisioned with a new credential
// key; a missing record is corruption (the device wrote every partition
// before its sentinel), never silently re-created.
func loadPartition(m *Module, i int) (*Partition, error) {
	rec, err := m.vault.Get(partitionRecordName(i))
	if errors.Is(err, vault.ErrErased) {
		return newPartition(m, i)
	}
	if errors.Is(err, vault.ErrNoRecord) {
		return nil, fmt.Errorf("%w: record %s missing", vault.ErrStateCorrupt, partitionRecordName(i))
	}
	if err != nil {
		return nil, err
	}
	p := &Partition{m: m, index: i, keys: keys.NewStore(m.tests, m.opts.MaxKeys), sessions: map[uint32]*Session{}}
	defer rec.Clear()
	var r partitionRecord
	if err := cbor.Unmarshal(rec.Expose(), &r); err != nil {
		return nil, fmt.Errorf("%w: %v", vault.ErrStateCorrupt, err)
	}
	if err := p.apply(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", vault.ErrStateCorrupt, err)
	}
	return p, nil
}

// reset destroys the partition's credential and gives it a fresh
// credential key (unprovisioned). Everything is destroyed first, so a
// failing key generation or pairwise consistency test leaves no old
// secret behind (the caller then erases the record). p.mu held or p not
// yet shared.
func (p *Partition) reset() error {
	p.id = [16]byte{}
	p.provisioned = false
	p.masking.Clear()
	p.masking, p.maskAEAD = nil, nil
	p.cred, p.credPub = nil, nil
	p.unwrap = nil
	p.pinSalt, p.pinIter = nil, 0
	p.pinVerifier.Clear()
	p.pinVerifier = nil
	p.failures, p.lockedUntil = 0, 0
	p.nonce = nil
	k, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := p.m.tests.PCT(selftest.PCTECDH, func() error { return selftest.ECDHPair(k) }); err != nil {
		return p.m.fail(err)
	}
	p.cred, p.credPub = k, k.PublicKey().Bytes()
	return nil
}

func (p *Partition) apply(r *partitionRecord) error {
	ck, err := x509.ParsePKCS8PrivateKey(r.Credential)
	clear(r.Credential)
	if err != nil {
		return err
	}
	// x509 returns NIST-curve PKCS#8 keys as *ecdsa.PrivateKey.
	eck, ok := ck.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("credential key is not an EC key")
	}
	ek, err := eck.ECDH()
	if err != nil || ek.Curve() != ecdh.P384() {
		return errors.New("credential key is not P-384")
	}
	p.cred, p.credPub = ek, ek.PublicKey().Bytes()
	if len(r.Unwrapping) > 0 {
		uk, err := x509.ParsePKCS8PrivateKey(r.Unwrapping)
		clear(r.Unwrapping)
		if err != nil {
			return err
		}
		rk, ok := uk.(*rsa.PrivateKey)
		if !ok {
			return errors.New("unwrapping key is not RSA")
		}
		p.unwrap = rk
	}
	p.provisioned = r.Provisioned
	p.failures, p.lockedUntil = r.Failures, r.LockedUntil
	if r.Provisioned {
		if len(r.ID) != 16 || len(r.MaskingRoot) != 32 || len(r.PINVerifier) == 0 {
			return errors.New("provisioned partition record incomplete")
		}
		copy(p.id[:], r.ID)
		if err := p.setMasking(secret.New(r.MaskingRoot)); err != nil {
			return err
		}
		clear(r.MaskingRoot)
		p.pinSalt, p.pinIter, p.pinVerifier = r.PINSalt, r.PINIter, secret.New(r.PINVerifier)
		clear(r.PINVerifier)
	}
	return nil
}

func (p *Partition) setMasking(root *secret.Bytes) error {
	a, err := gcm(root.Expose())
	if err != nil {
		return err
	}
	p.masking, p.maskAEAD = root, a
	return nil
}

// persist writes the partition record (p.mu held or p not yet shared).
func (p *Partition) persist() error {
	cred, err := x509.MarshalPKCS8PrivateKey(p.cred)
	if err != nil {
		return err
	}
	r := partitionRecord{Provisioned: p.provisioned, Credential: cred, PINSalt: p.pinSalt, PINIter: p.pinIter,
		Failures: p.failures, LockedUntil: p.lockedUntil}
	if p.unwrap != nil {
		if r.Unwrapping, err = x509.MarshalPKCS8PrivateKey(p.unwrap); err != nil {
			return err
		}
	}
	if p.provisioned {
		r.ID = p.id[:]
		r.MaskingRoot = p.masking.Expose()
		r.PINVerifier = p.pinVerifier.Expose()
	}
	b, err := cbor.Marshal(r)
	clear(cred)
	clear(r.Unwrapping)
	if err != nil {
		return err
	}
	defer clear(b)
	return p.m.vault.Put(partitionRecordName(p.index), b)
}

// maskState returns the partition id and masking AEAD (nil while
// unprovisioned).
func (p *Partition) maskState() ([16]byte, cipher.AEAD) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id, p.maskAEAD
}

// Index returns the partition's index.
func (p *Partition) Index() int { return p.index }

// ID returns the partition id (zero while unprovisioned).
func (p *Partition) ID() [16]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id
}

// State returns the partition state.
func (p *Partition) State() PartitionState {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.provisioned:
		return PartitionUnprovisioned
	case p.lockedLocked():
		return PartitionLockedOut
	}
	return PartitionProvisioned
}

// lockedLocked reports an active PIN backoff (p.mu held).
func (p *Partition) lockedLocked() bool {
	return p.lockedUntil != 0 && p.m.opts.Clock().UnixNano() < p.lockedUntil
}

// CredentialKey returns the partition credential public key (SEC 1
// uncompressed, 97 bytes), a fresh single-use nonce (replacing any earlier
// one) and the attestation key's signature over
// "OpenIHSM-v1 credential-key" || public_key || nonce.
func (p *Partition) CredentialKey() (publicKey, nonce, signature []byte, err error) {
	if err := p.m.check(); err != nil {
		return nil, nil, nil, err
	}
	n := make([]byte, 32)
	if _, err := rand.Read(n); err != nil {
		return nil, nil, nil, err
	}
	p.mu.Lock()
	p.nonce = n
	pub := append([]byte(nil), p.credPub...)
	p.mu.Unlock()
	p.m.mu.RLock()
	id := p.m.id
	p.m.mu.RUnlock()
	if id == nil {
		return nil, nil, nil, p.m.check()
	}
	sig, err := id.SignCredentialKey(pub, n)
	if err != nil {
		return nil, nil, nil, err
	}
	return pub, append([]byte(nil), n...), sig, nil
}

// openCredential consumes the outstanding nonce and recovers the PIN and
// channel keys from a client's public key and sealed PIN (p.mu held).
func (p *Partition) openCredential(label string, opcode uint16, clientPublic, sealedPIN []byte) (*secret.Bytes, *kdf.CredentialKeys, error) {
	nonce := p.nonce
	p.nonce = nil
	if nonce == nil {
		return nil, nil, ErrNonceInvalid
	}
	cp, err := ecdh.P384().NewPublicKey(clientPublic)
	if err != nil || len(clientPublic) != 97 {
		return nil, nil, ErrInvalidPublicKey
	}
	z, err := p.cred.ECDH(cp)
	if err != nil {
		return nil, nil, ErrInvalidPublicKey
	}
	ck, err := kdf.Credential(z, nonce, label, clientPublic, p.credPub)
	clear(z)
	if err != nil {
		return nil, nil, err
	}
	a, err := gcm(ck.PIN())
	if err != nil {
		ck.Clear()
		return nil, nil, err
	}
	// A zero nonce is safe: k_pin seals exactly one message.
	var zero [12]byte
	pin, err := a.Open(nil, zero[:], sealedPIN, []byte{byte(opcode >> 8), byte(opcode)})
	if err != nil {
		ck.Clear()
		return nil, nil, ErrCredentialDecryptFailed
	}
	return secret.Adopt(pin), ck, nil
}

func pinPolicy(pin *secret.Bytes) error {
	if pin.Len() < MinPIN || pin.Len() > MaxPIN {
		return ErrPinPolicyViolation
	}
	return nil
}

// setPIN installs a new PIN verifier: PBKDF2-HMAC-SHA384 (SP 800-132) with a
// 16-byte random salt (p.mu held).
func (p *Partition) setPIN(pin *secret.Bytes) error {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	v, err := kdf.PBKDF2(sha512.New384, pin.Expose(), salt, p.m.opts.PINIterations, 48)
	if err != nil {
		return err
	}
	p.pinVerifier.Clear()
	p.pinSalt, p.pinIter, p.pinVerifier = salt, p.m.opts.PINIterations, secret.Adopt(v)
	return nil
}

// checkPIN compares pin with the verifier under the lockout policy
// (p.mu held). The failure counter is raised and persisted before the
// comparison, so a crash during the check counts as a failure.
func (p *Partition) checkPIN(pin *secret.Bytes) error {
	if p.lockedLocked() {
		return ErrPinLockedOut
	}
	p.failures++
	if err := p.persist(); err != nil {
		p.failures--
		return err
	}
	v, err := kdf.PBKDF2(sha512.New384, pin.Expose(), p.pinSalt, p.pinIter, 48)
	if err != nil {
		return err
	}
	ok := subtle.ConstantTimeCompare(v, p.pinVerifier.Expose()) == 1
	clear(v)
	if ok {
		p.failures, p.lockedUntil = 0, 0
		return p.persist()
	}
	if p.failures >= MaxPINAttempts {
		shift := min(p.failures-MaxPINAttempts, 10)
		backoff := min(time.Second<<shift, maxBackoff)
		p.lockedUntil = p.m.opts.Clock().Add(backoff).UnixNano()
		if err := p.persist(); err != nil {
			return err
		}
	}
	return ErrPinIncorrect
}

// EstablishCredential provisions the partition: it consumes the credential
// nonce, recovers the PIN sealed under k_pin ("OpenIHSM-v1 establish", aad
// 0x0202), and creates the partition id, masking key and PIN verifier.
func (p *Partition) EstablishCredential(clientPublic, sealedPIN []byte) ([16]byte, error) {
	if err := p.m.check(); err != nil {
		return [16]byte{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provisioned {
		return [16]byte{}, ErrPartitionAlreadyProvisioned
	}
	pin, ck, err := p.openCredential(kdf.LabelEstablish, OpEstablishCredential, clientPublic, sealedPIN)
	if err != nil {
		return [16]byte{}, err
	}
	ck.Clear()
	defer pin.Clear()
	if err := pinPolicy(pin); err != nil {
		return [16]byte{}, err
	}
	var id [16]byte
	root := make([]byte, 32)
	if _, err := rand.Read(id[:]); err != nil {
		return [16]byte{}, err
	}
	if _, err := rand.Read(root); err != nil {
		return [16]byte{}, err
	}
	if err := p.setPIN(pin); err != nil {
		return [16]byte{}, err
	}
	if err := p.setMasking(secret.Adopt(root)); err != nil {
		return [16]byte{}, err
	}
	p.id, p.provisioned, p.failures, p.lockedUntil = id, true, 0, 0
	if err := p.persist(); err != nil {
		p.reset()
		return [16]byte{}, err
	}
	return id, nil
}

// authenticate runs the common part of OpenSession and ReopenSession.
func (p *Partition) authenticate(opcode uint16, clientPublic, sealedPIN []byte) (*ChannelKeys, error) {
	if err := p.m.check(); err != nil {
		return nil, err
	}
	if !p.provisioned {
		return nil, ErrPartitionNotProvisioned
	}
	if p.lockedLocked() {
		p.nonce = nil
		return nil, ErrPinLockedOut
	}
	pin, ck, err := p.openCredential(kdf.LabelSession, opcode, clientPublic, sealedPIN)
	if err != nil {
		return nil, err
	}
	defer ck.Clear()
	defer pin.Clear()
	if err := p.checkPIN(pin); err != nil {
		return nil, err
	}
	return newChannelKeys(ck.Channel())
}

// OpenSession authenticates the user (label "OpenIHSM-v1 session", aad
// 0x0301) and opens session id, chosen by the caller, with the derived
// channel keys and a fresh session masking key. An id already open is
// ErrInvalidArgument; session limits are the caller's.
func (p *Partition) OpenSession(id uint32, clientPublic, sealedPIN []byte) (*Session, error) {
	if id == 0 {
		return nil, ErrInvalidArgument
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessMu.RLock()
	_, taken := p.sessions[id]
	p.sessMu.RUnlock()
	if taken {
		return nil, ErrInvalidArgument
	}
	ch, err := p.authenticate(OpOpenSession, clientPublic, sealedPIN)
	if err != nil {
		return nil, err
	}
	root := make([]byte, 32)
	if _, err := rand.Read(root); err != nil {
		return nil, err
	}
	mk, err := gcm(root)
	clear(root)
	if err != nil {
		return nil, err
	}
	s := &Session{p: p, id: id, maskAEAD: mk}
	s.channel.Store(ch)
	p.sessMu.Lock()
	p.sessions[id] = s
	p.sessMu.Unlock()
	return s, nil
}

// ReopenSession re-authenticates an existing session (aad 0x0303) and gives
// it new channel keys; its id, keys and masking key stay.
func (p *Partition) ReopenSession(id uint32, clientPublic, sealedPIN []byte) (*Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessMu.RLock()
	s, ok := p.sessions[id]
	p.sessMu.RUnlock()
	if !ok {
		return nil, ErrSessionNotFound
	}
	ch, err := p.authenticate(OpReopenSession, clientPublic, sealedPIN)
	if err != nil {
		return nil, err
	}
	s.channel.Store(ch)
	return s, nil
}

// Session returns open session id.
func (p *Partition) Session(id uint32) (*Session, error) {
	p.sessMu.RLock()
	s, ok := p.sessions[id]
	p.sessMu.RUnlock()
	if !ok {
		return nil, ErrSessionNotFound
	}
	return s, nil
}

// Zeroize returns the partition to unprovisioned: it destroys its keys,
// sessions, credential, masking key and unwrapping key, and rotates its
// credential key, so masked keys of the old partition no longer open.
// It works in every device state except after ZeroizeAll.
func (p *Partition) Zeroize() error {
	if s := p.m.State(); s == StateTampered || s == StateZeroized {
		return p.m.check()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeAll()
	p.keys.Clear()
	if err := p.reset(); err != nil {
		// No new credential key: erase the record without one, so the
		// old credential is gone also from storage.
		return errors.Join(err, vault.Erase(p.m.store, partitionRecordName(p.index)))
	}
	return p.persist()
}

func (p *Partition) closeAll() {
	p.sessMu.Lock()
	ss := p.sessions
	p.sessions = map[uint32]*Session{}
	p.sessMu.Unlock()
	for _, s := range ss {
		s.closed.Store(true)
		p.keys.DestroySession(s.id)
	}
}

// wipe destroys everything in memory (ZeroizeAll).
func (p *Partition) wipe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeAll()
	p.keys.Clear()
	p.masking.Clear()
	p.pinVerifier.Clear()
	p.masking, p.maskAEAD, p.pinVerifier, p.cred, p.unwrap, p.nonce = nil, nil, nil, nil, nil, nil
	p.provisioned = false
}

// unwrappingKey returns the partition's RSA-3072 unwrapping key, creating
// and persisting it on first use.
func (p *Partition) unwrappingKey() (*rsa.PrivateKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.provisioned {
		return nil, ErrPartitionNotProvisioned
	}
	if p.unwrap != nil {
		return p.unwrap, nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		return nil, err
	}
	if err := p.m.tests.PCT(selftest.PCTRSA, func() error { return selftest.RSAOAEPPair(k) }); err != nil {
		return nil, p.m.fail(err)
	}
	p.unwrap = k
	if err := p.persist(); err != nil {
		p.unwrap = nil
		return nil, err
	}
	return k, nil
}
