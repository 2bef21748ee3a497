package masking

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// Errors of Open, one per masked-key status of the spec.
var (
	ErrMalformed          = errors.New("masking: masked key malformed")
	ErrVersionUnsupported = errors.New("masking: masked key version unsupported")
	ErrWrongPartition     = errors.New("masking: masked key belongs to another partition or session")
	ErrTampered           = errors.New("masking: masked key tampered")
)

// Format constants.
const (
	Version        = 1
	AEADAES256GCM  = 1
	ScopePartition = 1
	ScopeSession   = 2
	MaxLabel       = 64

	headerFixed = 40 // bytes before the label
	nonceSize   = 12
	tagSize     = 16
)

var magic = [4]byte{'I', 'H', 'M', 'K'}

// Header is the authenticated, unencrypted part of a blob.
type Header struct {
	Scope       uint8
	PartitionID [16]byte
	SessionID   uint32
	Kind        uint32
	Usage       uint32
	Tag         uint16
	Label       string
}

// Seal masks plaintext under aead (an AES-256-GCM instance of the masking
// key) with a fresh random nonce.
func Seal(aead cipher.AEAD, h Header, plaintext []byte) ([]byte, error) {
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	return seal(aead, h, plaintext, nonce)
}

func seal(aead cipher.AEAD, h Header, plaintext []byte, n [nonceSize]byte) ([]byte, error) {
	if len(h.Label) > MaxLabel || (h.Scope != ScopePartition && h.Scope != ScopeSession) ||
		(h.Scope == ScopePartition) != (h.SessionID == 0) || aead.NonceSize() != nonceSize || aead.Overhead() != tagSize {
		return nil, ErrMalformed
	}
	l := len(h.Label)
	out := make([]byte, headerFixed+l+nonceSize+4, headerFixed+l+nonceSize+4+len(plaintext)+tagSize)
	copy(out[0:4], magic[:])
	out[4], out[5], out[6], out[7] = Version, AEADAES256GCM, h.Scope, 0
	copy(out[8:24], h.PartitionID[:])
	binary.BigEndian.PutUint32(out[24:28], h.SessionID)
	binary.BigEndian.PutUint32(out[28:32], h.Kind)
	binary.BigEndian.PutUint32(out[32:36], h.Usage)
	binary.BigEndian.PutUint16(out[36:38], h.Tag)
	binary.BigEndian.PutUint16(out[38:40], uint16(l))
	copy(out[40:40+l], h.Label)
	nonce := out[40+l : 52+l]
	copy(nonce, n[:])
	binary.BigEndian.PutUint32(out[52+l:56+l], uint32(len(plaintext)))
	return aead.Seal(out, nonce, plaintext, out[:56+l]), nil
}

// minBlob is the shortest blob the structure allows: an empty label and an
// empty ciphertext.
const minBlob = headerFixed + nonceSize + 4 + tagSize

// Parse checks the structure, then the version and AEAD of a blob, in the
// order of the spec (architecture/masked-key.yaml), and returns its header
// without decrypting. The structure checks are the spec's list, no more:
// length at least 72, magic, reserved byte 0, scope 1 or 2, L at most 64,
// and 56+L+C+16 equal to the blob's length. A header field the structure
// does not constrain (session_id of a scope-1 blob, say) is authenticated
// by the GCM tag, so a changed one is ErrTampered.
func Parse(blob []byte) (Header, error) {
	if len(blob) < minBlob || [4]byte(blob[0:4]) != magic || blob[7] != 0 ||
		(blob[6] != ScopePartition && blob[6] != ScopeSession) {
		return Header{}, ErrMalformed
	}
	l := int(binary.BigEndian.Uint16(blob[38:40]))
	if l > MaxLabel || len(blob) < 56+l+tagSize {
		return Header{}, ErrMalformed
	}
	c := binary.BigEndian.Uint32(blob[52+l : 56+l])
	if uint64(len(blob)) != uint64(56+l)+uint64(c)+tagSize {
		return Header{}, ErrMalformed
	}
	if blob[4] != Version || blob[5] != AEADAES256GCM {
		return Header{}, ErrVersionUnsupported
	}
	h := Header{Scope: blob[6], SessionID: binary.BigEndian.Uint32(blob[24:28]), Kind: binary.BigEndian.Uint32(blob[28:32]),
		Usage: binary.BigEndian.Uint32(blob[32:36]), Tag: binary.BigEndian.Uint16(blob[36:38]), Label: string(blob[40 : 40+l])}
	copy(h.PartitionID[:], blob[8:24])
	return h, nil
}

// Open unmasks a blob for the partition partitionID and the calling session
// (0 outside a session). partitionKey is the partition masking AEAD;
// sessionKey is the calling session's masking AEAD, nil when there is none.
func Open(blob []byte, partitionID [16]byte, session uint32, partitionKey, sessionKey cipher.AEAD) (Header, *secret.Bytes, error) {
	h, err := Parse(blob)
	if err != nil {
		return Header{}, nil, err
	}
	key := partitionKey
	if h.PartitionID != partitionID {
		return Header{}, nil, ErrWrongPartition
	}
	if h.Scope == ScopeSession {
		if session == 0 || h.SessionID != session || sessionKey == nil {
			return Header{}, nil, ErrWrongPartition
		}
		key = sessionKey
	}
	l := len(h.Label)
	pt, err := key.Open(nil, blob[40+l:52+l], blob[56+l:], blob[:56+l])
	if err != nil {
		return Header{}, nil, ErrTampered
	}
	return h, secret.Adopt(pt), nil
}
