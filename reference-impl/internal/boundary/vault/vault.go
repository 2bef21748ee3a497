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
	// ErrErased is the error of an erased record; it matches ErrNoRecord
	// too, so only a caller that must tell "erased" from "never written"
	// (or "lost") checks for it.
	ErrErased = fmt.Errorf("%w: erased", ErrNoRecord)
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

// Get reads and authenticates record name. An absent record is
// ErrNoRecord, an erased one ErrErased (which matches ErrNoRecord too).
func (v *Vault) Get(name string) (*secret.Bytes, error) {
	b, err := v.store.Read(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoRecord
	}
	if err == nil && bytes.Equal(b, tombstone) {
		return nil, ErrErased
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

// finalMagic starts a final-state record: the sentinel record as it is
// after the device destroyed its state. It is plaintext, so it can be
// written and read without any algorithm, and it can never be mistaken for
// a sealed record (which starts with "IHSV").
var finalMagic = []byte("IHSF")

// WriteFinal replaces the sentinel record with a final-state record: the
// device's terminal state (tampered or zeroized, as the caller numbers it)
// and its partition count. It uses no cryptography, so a device whose
// self-tests failed can still zeroize. The record is not authenticated:
// whoever can write the store can mark a device destroyed, as they could
// delete its state anyway, but no one can bring a destroyed state back
// without the key the caller destroys next (see the package documentation).
func WriteFinal(store Store, state uint8, partitions int) error {
	if partitions < 0 || partitions > 0xffff {
		return fmt.Errorf("vault: %d partitions", partitions)
	}
	return store.Write(SentinelRecord, append(append([]byte(nil), finalMagic...), version, state, byte(partitions>>8), byte(partitions)))
}

// ReadFinal reads a final-state record. ok is false when the sentinel
// record is absent or is an ordinary sealed record.
func ReadFinal(store Store) (state uint8, partitions int, ok bool, err error) {
	b, err := store.Read(SentinelRecord)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	if !bytes.HasPrefix(b, finalMagic) {
		return 0, 0, false, nil
	}
	if len(b) != len(finalMagic)+4 || b[4] != version {
		return 0, 0, false, fmt.Errorf("%w: final-state record malformed", ErrStateCorrupt)
	}
	return b[5], int(b[6])<<8 | int(b[7]), true, nil
}
