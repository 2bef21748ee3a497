package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"io/fs"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// Store holds named records. Read of an absent record returns an error
// matching fs.ErrNotExist. Write must be atomic and durable before it
// returns: a reader sees the old record or the new one, never a mix.
type Store interface {
	Read(name string) ([]byte, error)
	Write(name string, data []byte) error
}

// Errors.
var (
	ErrStateCorrupt = errors.New("vault: state corrupt")
	ErrStateForeign = errors.New("vault: state belongs to another device")
	ErrNoRecord     = errors.New("vault: no such record")
)

// FuseRecord is the name of the record holding the fuse secret when the
// caller does not supply one.
const FuseRecord = "fuse"

// SentinelRecord is a record whose presence proves the vault was
// initialised; the device writes it first.
const SentinelRecord = "device"

const (
	fuseSize   = 32
	version    = 1
	prefixSize = 4 + 1 + 16
	nonceSize  = 12
)

var magic = []byte("IHSV")

// Vault encrypts and authenticates the records of a Store.
type Vault struct {
	_     [0]func()
	store Store
	aead  cipher.AEAD
	id    [16]byte
}

// Open opens the vault over store. fuse, if non-nil, is the 32-byte device
// secret; otherwise the secret is read from FuseRecord, or created there when
// the store holds no device state yet. created reports a new fuse secret.
func Open(store Store, fuse []byte) (v *Vault, created bool, err error) {
	if fuse == nil {
		fuse, created, err = loadFuse(store)
		if err != nil {
			return nil, false, err
		}
		defer clear(fuse)
	} else if len(fuse) != fuseSize {
		return nil, false, errors.New("vault: fuse secret must be 32 bytes")
	}
	key, err := hkdf.Key(sha512.New384, fuse, nil, "OpenIHSM-v1 vault key", 32)
	if err != nil {
		return nil, false, err
	}
	sid, err := hkdf.Key(sha512.New384, fuse, nil, "OpenIHSM-v1 state id", 16)
	if err != nil {
		return nil, false, err
	}
	b, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, false, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, false, err
	}
	v = &Vault{store: store, aead: g}
	copy(v.id[:], sid)
	return v, created, nil
}

func loadFuse(store Store) ([]byte, bool, error) {
	f, err := store.Read(FuseRecord)
	switch {
	case err == nil:
		if len(f) != fuseSize {
			return nil, false, fmt.Errorf("%w: fuse secret has %d bytes", ErrStateCorrupt, len(f))
		}
		return f, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	if _, err := store.Read(SentinelRecord); err == nil {
		return nil, false, fmt.Errorf("%w: fuse secret missing", ErrStateCorrupt)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	f = make([]byte, fuseSize)
	if _, err := rand.Read(f); err != nil {
		return nil, false, err
	}
	if err := store.Write(FuseRecord, f); err != nil {
		return nil, false, err
	}
	return f, true, nil
}

func (v *Vault) aad(prefix []byte, name string) []byte {
	return append(append(make([]byte, 0, len(prefix)+len(name)), prefix...), name...)
}

// Put encrypts plaintext and writes it as record name.
func (v *Vault) Put(name string, plaintext []byte) error {
	out := make([]byte, prefixSize+nonceSize, prefixSize+nonceSize+len(plaintext)+16)
	copy(out, magic)
	out[4] = version
	copy(out[5:21], v.id[:])
	if _, err := rand.Read(out[prefixSize:]); err != nil {
		return err
	}
	out = v.aead.Seal(out, out[prefixSize:prefixSize+nonceSize], plaintext, v.aad(out[:prefixSize], name))
	return v.store.Write(name, out)
}

// tombstone replaces an erased record. It is shorter than any sealed
// record, so it can never be mistaken for one.
var tombstone = []byte("IHSZ")

// Erase overwrites record name with a tombstone, which Get reports as
// ErrNoRecord. It uses no cryptography, so a device whose self-tests failed
// (and which may not use its algorithms) can still zeroize (FIPS 140-3
// §7.9.7); an erased record is no more than a deleted one, which the store
// could lose anyway.
func Erase(store Store, name string) error {
	return store.Write(name, tombstone)
}

// finalMark starts the sentinel record of a device that was zeroized or
// tampered while it could not use its algorithms (its power-on self-tests
// had failed, so the vault was never opened): the magic IHSF, then the
// final state, in plaintext.
var finalMark = []byte("IHSF")

// MarkFinal records the final state of a device in the sentinel record
// without cryptography, after its records were erased (Erase): the device
// then never opens its state again. Like Erase it needs no algorithm, so a
// device in the error state can still zeroize for good. A forged mark can
// only stop the device, which anyone who can write its store can do anyway.
func MarkFinal(store Store, state byte) error {
	return store.Write(SentinelRecord, append(append([]byte(nil), finalMark...), state))
}

// FinalState returns the state MarkFinal recorded, and false when the
// store holds no such mark.
func FinalState(store Store) (byte, bool, error) {
	b, err := store.Read(SentinelRecord)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case len(b) == len(finalMark)+1 && bytes.HasPrefix(b, finalMark):
		return b[len(finalMark)], true, nil
	}
	return 0, false, nil
}

// Get reads and authenticates record name. An absent or erased record is
// ErrNoRecord.
func (v *Vault) Get(name string) (*secret.Bytes, error) {
	b, err := v.store.Read(name)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && bytes.Equal(b, tombstone)) {
		return nil, ErrNoRecord
	}
	if err != nil {
		return nil, err
	}
	if len(b) < prefixSize+nonceSize+16 || !bytes.Equal(b[:4], magic) || b[4] != version {
		return nil, fmt.Errorf("%w: record %q malformed", ErrStateCorrupt, name)
	}
	if !bytes.Equal(b[5:21], v.id[:]) {
		return nil, fmt.Errorf("%w: record %q", ErrStateForeign, name)
	}
	pt, err := v.aead.Open(nil, b[prefixSize:prefixSize+nonceSize], b[prefixSize+nonceSize:], v.aad(b[:prefixSize], name))
	if err != nil {
		return nil, fmt.Errorf("%w: record %q fails authentication", ErrStateCorrupt, name)
	}
	return secret.Adopt(pt), nil
}
