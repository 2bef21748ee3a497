package boundary

import (
	"crypto/cipher"
	"crypto/x509"
	"sync/atomic"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/identity"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/masking"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// Session is an authenticated session of a partition. Its key services
// run with the session's identity: session-only keys it creates are visible
// only to it and die with it.
type Session struct {
	p        *Partition
	id       uint32
	maskAEAD cipher.AEAD // session masking key
	channel  atomic.Pointer[ChannelKeys]
	closed   atomic.Bool
}

// KeyResult describes a key a service created or opened, with its masked
// blob.
type KeyResult struct {
	keys.Info
	MaskedKey []byte
}

// ID returns the session id.
func (s *Session) ID() uint32 { return s.id }

// Channel returns the session's current channel keys.
func (s *Session) Channel() *ChannelKeys { return s.channel.Load() }

// Close ends the session and destroys its session-only keys and masking key.
func (s *Session) Close() error {
	if s.closed.Swap(true) {
		return ErrSessionNotFound
	}
	p := s.p
	p.sessMu.Lock()
	if p.sessions[s.id] == s {
		delete(p.sessions, s.id)
	}
	p.sessMu.Unlock()
	p.keys.DestroySession(s.id)
	s.channel.Store(nil)
	return nil
}

func (s *Session) check() error {
	if err := s.p.m.check(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrSessionNotFound
	}
	return nil
}

// ChangePin checks the current PIN under the lockout policy and installs a
// new one (8..64 bytes). It takes ownership of current and next and clears
// them before it returns, on every path.
func (s *Session) ChangePin(current, next []byte) error {
	cur, nxt := secret.Adopt(current), secret.Adopt(next)
	defer cur.Clear()
	defer nxt.Clear()
	if err := s.check(); err != nil {
		return err
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkPIN(cur); err != nil {
		return err
	}
	if err := pinPolicy(nxt); err != nil {
		return err
	}
	if err := p.setPIN(nxt); err != nil {
		return err
	}
	return p.persist()
}

func (s *Session) attrs(usage keys.Usage, tag uint16, label string) keys.Attributes {
	a := keys.Attributes{Usage: usage, Tag: tag, Label: label}
	if usage&keys.UsageSessionOnly != 0 {
		a.Session = s.id
	}
	return a
}

// mask wraps a freshly created key into its masked blob.
func (s *Session) mask(info keys.Info, err error) (KeyResult, error) {
	if err != nil {
		return KeyResult{}, s.p.m.fail(err)
	}
	mat, info, err := s.p.keys.Material(s.id, info.Handle)
	if err != nil {
		return KeyResult{}, err
	}
	defer mat.Clear()
	pid, aead := s.p.maskState()
	if aead == nil {
		s.p.keys.Delete(s.id, info.Handle)
		return KeyResult{}, ErrPartitionNotProvisioned
	}
	h := masking.Header{Scope: masking.ScopePartition, PartitionID: pid, Kind: uint32(info.Kind),
		Usage: uint32(info.Usage), Tag: info.Tag, Label: info.Label}
	if info.Session != 0 {
		h.Scope, h.SessionID, aead = masking.ScopeSession, s.id, s.maskAEAD
	}
	blob, err := masking.Seal(aead, h, mat.Expose())
	if err != nil {
		s.p.keys.Delete(s.id, info.Handle)
		return KeyResult{}, err
	}
	return KeyResult{Info: info, MaskedKey: blob}, nil
}

// GenerateKey creates a key inside the device (GenerateKey, 0x0401).
func (s *Session) GenerateKey(kind keys.Kind, usage keys.Usage, tag uint16, label string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	return s.mask(s.p.keys.Generate(kind, s.attrs(usage, tag, label)))
}

// OpenKey finds a key by tag (OpenKey, 0x0402).
func (s *Session) OpenKey(tag uint16) (keys.Info, error) {
	if err := s.check(); err != nil {
		return keys.Info{}, err
	}
	return s.p.keys.ByTag(s.id, tag)
}

// DeleteKey destroys a key (DeleteKey, 0x0403).
func (s *Session) DeleteKey(handle uint32) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.p.keys.Delete(s.id, handle)
}

// KeyInfo describes a key (GetPublicKey, 0x0404).
func (s *Session) KeyInfo(handle uint32) (keys.Info, error) {
	if err := s.check(); err != nil {
		return keys.Info{}, err
	}
	return s.p.keys.Info(s.id, handle)
}

// ListKeys lists the keys this session can see (ListKeys, 0x0405).
func (s *Session) ListKeys() ([]keys.Info, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.p.keys.List(s.id), nil
}

// UnmaskKey re-imports a masked key of this partition (or of this session)
// (UnmaskKey, 0x0406). The result carries the same blob.
func (s *Session) UnmaskKey(blob []byte) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	pid, aead := s.p.maskState()
	if aead == nil {
		return KeyResult{}, ErrPartitionNotProvisioned
	}
	if faultInjection && s.p.m.opts.UnboundMaskedKeys {
		pid, aead = s.p.m.unboundMasking(blob, pid, aead)
	}
	h, pt, err := masking.Open(blob, pid, s.id, aead, s.maskAEAD)
	if err != nil {
		return KeyResult{}, err
	}
	defer pt.Clear()
	a := keys.Attributes{Usage: keys.Usage(h.Usage), Tag: h.Tag, Label: h.Label}
	if h.Scope == masking.ScopeSession {
		a.Session = s.id
	}
	info, err := s.p.keys.Restore(keys.Kind(h.Kind), a, pt)
	if err != nil {
		return KeyResult{}, s.p.m.fail(err)
	}
	return KeyResult{Info: info, MaskedKey: append([]byte(nil), blob...)}, nil
}

// UnwrappingKey returns the DER SPKI of the partition's RSA-3072 unwrapping
// key (GetUnwrappingKey, 0x0407).
func (s *Session) UnwrappingKey() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	k, err := s.p.unwrappingKey()
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(&k.PublicKey)
}

// UnwrapKey imports a CKM_RSA_AES_KEY_WRAP blob addressed to the partition
// unwrapping key (UnwrapKey, 0x0408).
func (s *Session) UnwrapKey(wrapped []byte, kind keys.Kind, usage keys.Usage, tag uint16, label string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	k, err := s.p.unwrappingKey()
	if err != nil {
		return KeyResult{}, err
	}
	mat, err := keys.UnwrapMaterial(k, wrapped)
	if err != nil {
		return KeyResult{}, err
	}
	defer mat.Clear()
	return s.mask(s.p.keys.Import(kind, s.attrs(usage, tag, label), mat))
}

// Sign signs a digest (ECDSA, RSA) or message (Ed25519, ML-DSA-65).
func (s *Session) Sign(handle uint32, alg keys.Algorithm, data []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.p.keys.Sign(s.id, handle, alg, data)
}

// Verify checks a signature; a bad one is ErrSignatureInvalid.
func (s *Session) Verify(handle uint32, alg keys.Algorithm, data, signature []byte) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.p.keys.Verify(s.id, handle, alg, data, signature)
}

// Encrypt encrypts (AES-GCM, AES-CBC, AES-KWP, RSA-OAEP); see keys.Store.Encrypt.
func (s *Session) Encrypt(handle uint32, alg keys.Algorithm, plaintext, iv, aad []byte) (ciphertext, ivOut []byte, err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	return s.p.keys.Encrypt(s.id, handle, alg, plaintext, iv, aad)
}

// Decrypt decrypts; see keys.Store.Decrypt.
func (s *Session) Decrypt(handle uint32, alg keys.Algorithm, ciphertext, iv, aad []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.p.keys.Decrypt(s.id, handle, alg, ciphertext, iv, aad)
}

// Encapsulate runs ML-KEM-768 encapsulation; the shared secret becomes a
// Secret256 key with the given attributes.
func (s *Session) Encapsulate(handle uint32, usage keys.Usage, tag uint16, label string) (ciphertext []byte, r KeyResult, err error) {
	if err := s.check(); err != nil {
		return nil, KeyResult{}, err
	}
	ct, info, err := s.p.keys.Encapsulate(s.id, handle, s.attrs(usage, tag, label))
	if err != nil {
		return nil, KeyResult{}, err
	}
	r, err = s.mask(info, nil)
	return ct, r, err
}

// Decapsulate runs ML-KEM-768 decapsulation into a Secret256 key.
func (s *Session) Decapsulate(handle uint32, ciphertext []byte, usage keys.Usage, tag uint16, label string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	return s.mask(s.p.keys.Decapsulate(s.id, handle, ciphertext, s.attrs(usage, tag, label)))
}

// EcdhDerive computes an ECDH shared secret into a Secret256/384/521 key.
func (s *Session) EcdhDerive(handle uint32, peer []byte, usage keys.Usage, tag uint16, label string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	return s.mask(s.p.keys.ECDHDerive(s.id, handle, peer, s.attrs(usage, tag, label)))
}

// HkdfDerive derives a key with HKDF.
func (s *Session) HkdfDerive(handle uint32, h keys.Hash, salt, info []byte, target keys.Kind, usage keys.Usage, tag uint16, label string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	return s.mask(s.p.keys.HKDFDerive(s.id, handle, h, salt, info, target, s.attrs(usage, tag, label)))
}

// KbkdfDerive derives a key with the SP 800-108r1 counter-mode KDF.
func (s *Session) KbkdfDerive(handle uint32, h keys.Hash, label, context []byte, target keys.Kind, usage keys.Usage, tag uint16, keyLabel string) (KeyResult, error) {
	if err := s.check(); err != nil {
		return KeyResult{}, err
	}
	return s.mask(s.p.keys.KBKDFDerive(s.id, handle, h, label, context, target, s.attrs(usage, tag, keyLabel)))
}

// Hmac computes an HMAC.
func (s *Session) Hmac(handle uint32, message []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.p.keys.HMAC(s.id, handle, message)
}

// AttestKey signs a key attestation report (COSE_Sign1, package identity).
func (s *Session) AttestKey(handle uint32, reportData []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(reportData) > identity.MaxReportData {
		return nil, ErrInvalidLength
	}
	info, err := s.p.keys.Info(s.id, handle)
	if err != nil {
		return nil, err
	}
	flags := uint32(identity.FlagGenerated)
	if info.Origin == keys.OriginImported {
		flags = identity.FlagImported
	}
	if info.Session != 0 {
		flags |= identity.FlagSessionOnly
	} else {
		flags |= identity.FlagPersistent
	}
	pid := s.p.ID()
	s.p.m.mu.RLock()
	id := s.p.m.id
	s.p.m.mu.RUnlock()
	if id == nil {
		return nil, s.p.m.check()
	}
	return id.AttestKey(identity.KeyReport{PublicKey: info.PublicKey, Kind: uint32(info.Kind), Usage: uint32(info.Usage),
		Flags: flags, ReportData: reportData, PartitionID: pid[:]})
}

// unboundMasking is the deliberate defect of Options.UnboundMaskedKeys: it
// returns the partition id and masking key of whichever partition of the
// device a partition-scope blob names, so the blob opens on any partition.
func (m *Module) unboundMasking(blob []byte, pid [16]byte, aead cipher.AEAD) ([16]byte, cipher.AEAD) {
	h, err := masking.Parse(blob)
	if err != nil || h.Scope != masking.ScopePartition || h.PartitionID == pid {
		return pid, aead
	}
	m.mu.RLock()
	parts := m.parts
	m.mu.RUnlock()
	for _, q := range parts {
		if qid, qa := q.maskState(); qa != nil && qid == h.PartitionID {
			return qid, qa
		}
	}
	return pid, aead
}
