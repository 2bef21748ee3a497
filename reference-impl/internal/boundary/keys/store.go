package keys

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
)

// Attributes are the caller-chosen attributes of a new key.
type Attributes struct {
	Usage Usage
	Tag   uint16 // 0 = no tag
	Label string // at most MaxLabel bytes
	// Session is the session that owns the key when Usage has
	// UsageSessionOnly; it must be 0 otherwise.
	Session uint32
}

// Info is the public description of a key.
type Info struct {
	Handle    uint32
	Kind      Kind
	Usage     Usage
	Tag       uint16
	Label     string
	Session   uint32 // owning session, 0 for a persistent (partition) key
	Origin    Origin
	PublicKey []byte // DER SPKI; nil for symmetric kinds
}

// Store is one partition's key store. It is safe for concurrent use.
type Store struct {
	tests   *selftest.Registry
	maxKeys int

	mu     sync.RWMutex
	keys   map[uint32]*key
	tags   map[uint16]uint32
	issued map[uint32]struct{} // every handle ever issued: never reused
}

// NewStore returns an empty store holding at most maxKeys keys (MaxKeys if
// maxKeys ≤ 0). Every generated or imported key pair passes a pairwise
// consistency test of tests before it is stored.
func NewStore(tests *selftest.Registry, maxKeys int) *Store {
	if maxKeys <= 0 {
		maxKeys = MaxKeys
	}
	if tests == nil {
		tests = selftest.New(selftest.Options{})
	}
	return &Store{tests: tests, maxKeys: maxKeys, keys: make(map[uint32]*key), tags: make(map[uint16]uint32), issued: make(map[uint32]struct{})}
}

func (a Attributes) check(k Kind) error {
	if !k.Valid() {
		return ErrUnsupportedKeyKind
	}
	if a.Usage&^usageDefined != 0 || len(a.Label) > MaxLabel {
		return ErrInvalidArgument
	}
	if a.Usage&^k.Permitted() != 0 || a.Usage&^UsageSessionOnly == 0 {
		return ErrUsageNotPermitted
	}
	if (a.Usage&UsageSessionOnly != 0) != (a.Session != 0) {
		return ErrInvalidArgument
	}
	return nil
}

// Generate creates a key of the given kind inside the device.
func (s *Store) Generate(kind Kind, a Attributes) (Info, error) {
	if err := a.check(kind); err != nil {
		return Info{}, err
	}
	if err := s.precheck(a.Tag); err != nil {
		return Info{}, err
	}
	m, err := generate(kind)
	if err != nil {
		return Info{}, fmt.Errorf("generate %v: %w", kind, err)
	}
	return s.add(m, kind, a, OriginGenerated)
}

// Import stores key material given in the UnwrapKey encoding (package
// documentation, "Key material encoding"). Undecodable material or material
// of another kind is ErrUnwrapFailed.
func (s *Store) Import(kind Kind, a Attributes, mat *secret.Bytes) (Info, error) {
	if err := a.check(kind); err != nil {
		return Info{}, err
	}
	if err := s.precheck(a.Tag); err != nil {
		return Info{}, err
	}
	m, err := parseMaterial(kind, mat.Expose(), true)
	if err != nil {
		return Info{}, fmt.Errorf("%w: %v", ErrUnwrapFailed, err)
	}
	return s.add(m, kind, a, OriginImported)
}

// Material returns the masked-key plaintext of a key: the origin byte then
// the material encoding. The caller (the masking layer) must clear it.
func (s *Store) Material(session, handle uint32) (*secret.Bytes, Info, error) {
	k, err := s.get(session, handle)
	if err != nil {
		return nil, Info{}, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.destroyed {
		return nil, Info{}, ErrKeyNotFound
	}
	enc, err := k.encode()
	if err != nil {
		return nil, Info{}, err
	}
	out := append([]byte{byte(k.origin)}, enc...)
	clear(enc)
	return secret.Adopt(out), k.info(), nil
}

// Restore stores a key from its masked-key plaintext (see Material).
// The caller has already authenticated the plaintext; an undecodable one is
// an internal inconsistency reported as ErrInvalidArgument.
func (s *Store) Restore(kind Kind, a Attributes, plaintext *secret.Bytes) (Info, error) {
	if err := a.check(kind); err != nil {
		return Info{}, err
	}
	if err := s.precheck(a.Tag); err != nil {
		return Info{}, err
	}
	p := plaintext.Expose()
	if len(p) < 2 || (Origin(p[0]) != OriginGenerated && Origin(p[0]) != OriginImported) {
		return Info{}, fmt.Errorf("%w: masked key material", ErrInvalidArgument)
	}
	m, err := parseMaterial(kind, p[1:], false)
	if err != nil {
		return Info{}, fmt.Errorf("%w: masked key material: %v", ErrInvalidArgument, err)
	}
	return s.add(m, kind, a, Origin(p[0]))
}

// precheck fails early, before expensive key generation, on a full store
// or a taken tag; add checks again under the lock.
func (s *Store) precheck(tag uint16) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.keys) >= s.maxKeys {
		return ErrKeyLimitReached
	}
	if _, ok := s.tags[tag]; tag != 0 && ok {
		return ErrKeyTagExists
	}
	return nil
}

func (s *Store) add(m *material, kind Kind, a Attributes, origin Origin) (Info, error) {
	if err := m.pct(s.tests); err != nil {
		m.clear()
		return Info{}, err
	}
	k, err := newKey(m, kind, a, origin)
	if err != nil {
		m.clear()
		return Info{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) >= s.maxKeys {
		k.destroy()
		return Info{}, ErrKeyLimitReached
	}
	if _, ok := s.tags[a.Tag]; a.Tag != 0 && ok {
		k.destroy()
		return Info{}, ErrKeyTagExists
	}
	h, err := s.newHandle()
	if err != nil {
		k.destroy()
		return Info{}, err
	}
	k.handle = h
	s.keys[h] = k
	if a.Tag != 0 {
		s.tags[a.Tag] = h
	}
	return k.info(), nil
}

// newHandle draws a random non-zero handle never issued before by this
// store (s.mu held for writing).
func (s *Store) newHandle() (uint32, error) {
	var b [4]byte
	for range 1000 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		h := binary.BigEndian.Uint32(b[:])
		if _, used := s.issued[h]; h != 0 && !used {
			s.issued[h] = struct{}{}
			return h, nil
		}
	}
	return 0, errors.New("keys: handle space exhausted")
}

// get returns the key visible to session under handle.
func (s *Store) get(session, handle uint32) (*key, error) {
	s.mu.RLock()
	k, ok := s.keys[handle]
	s.mu.RUnlock()
	if !ok || (k.session != 0 && k.session != session) {
		return nil, ErrKeyNotFound
	}
	return k, nil
}

func (k *key) info() Info {
	return Info{Handle: k.handle, Kind: k.kind, Usage: k.usage, Tag: k.tag, Label: k.label,
		Session: k.session, Origin: k.origin, PublicKey: k.pub}
}

// Info describes the key under handle.
func (s *Store) Info(session, handle uint32) (Info, error) {
	k, err := s.get(session, handle)
	if err != nil {
		return Info{}, err
	}
	return k.info(), nil
}

// ByTag describes the key carrying tag, if session may see it.
func (s *Store) ByTag(session uint32, tag uint16) (Info, error) {
	if tag == 0 {
		return Info{}, ErrKeyTagNotFound
	}
	s.mu.RLock()
	h, ok := s.tags[tag]
	s.mu.RUnlock()
	if !ok {
		return Info{}, ErrKeyTagNotFound
	}
	info, err := s.Info(session, h)
	if err != nil {
		return Info{}, ErrKeyTagNotFound
	}
	return info, nil
}

// List describes every key session may see, ordered by handle.
func (s *Store) List(session uint32) []Info {
	s.mu.RLock()
	out := make([]Info, 0, len(s.keys))
	for _, k := range s.keys {
		if k.session == 0 || k.session == session {
			out = append(out, k.info())
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Info) int {
		switch {
		case a.Handle < b.Handle:
			return -1
		case a.Handle > b.Handle:
			return 1
		}
		return 0
	})
	return out
}

// Len returns the number of keys in the store.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.keys)
}

// Delete destroys the key under handle.
func (s *Store) Delete(session, handle uint32) error {
	s.mu.Lock()
	k, ok := s.keys[handle]
	if !ok || (k.session != 0 && k.session != session) {
		s.mu.Unlock()
		return ErrKeyNotFound
	}
	s.remove(k)
	s.mu.Unlock()
	k.destroy()
	return nil
}

// remove unlinks k (s.mu held for writing).
func (s *Store) remove(k *key) {
	delete(s.keys, k.handle)
	if k.tag != 0 && s.tags[k.tag] == k.handle {
		delete(s.tags, k.tag)
	}
}

// DestroySession destroys every key owned by session.
func (s *Store) DestroySession(session uint32) {
	if session == 0 {
		return
	}
	s.mu.Lock()
	var dead []*key
	for _, k := range s.keys {
		if k.session == session {
			s.remove(k)
			dead = append(dead, k)
		}
	}
	s.mu.Unlock()
	for _, k := range dead {
		k.destroy()
	}
}

// Clear destroys every key (zeroization). Handles stay retired.
func (s *Store) Clear() {
	s.mu.Lock()
	dead := make([]*key, 0, len(s.keys))
	for _, k := range s.keys {
		dead = append(dead, k)
	}
	clear(s.keys)
	clear(s.tags)
	s.mu.Unlock()
	for _, k := range dead {
		k.destroy()
	}
}
