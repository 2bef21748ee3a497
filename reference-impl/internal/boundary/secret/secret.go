package secret

import (
	"crypto/subtle"
	"fmt"
)

// redacted is what every formatting path prints instead of secret bytes.
const redacted = "[REDACTED]"

// Bytes is a secret byte string. The zero value is an empty secret.
// A Bytes must not be copied after first use; pass *Bytes.
type Bytes struct {
	_ [0]func() // incomparable: == would not be constant time
	b []byte
}

// New returns a secret holding a copy of b. The caller should clear its own
// copy of b when it no longer needs it.
func New(b []byte) *Bytes {
	return &Bytes{b: append(make([]byte, 0, len(b)), b...)}
}

// Adopt returns a secret that takes ownership of b without copying. The
// caller must not use b afterwards except through the returned secret.
func Adopt(b []byte) *Bytes {
	return &Bytes{b: b}
}

// Len returns the length of the secret in bytes; the length of a key is not
// itself secret.
func (s *Bytes) Len() int {
	if s == nil {
		return 0
	}
	return len(s.b)
}

// Expose returns the secret bytes for use by a cryptographic primitive inside
// the boundary. The slice aliases the secret: callers must not retain it
// beyond the call that needs it, must not modify it, and must never return it
// across the boundary.
func (s *Bytes) Expose() []byte {
	if s == nil {
		return nil
	}
	return s.b
}

// Equal reports whether s and t hold the same bytes. It runs in time that
// depends only on the lengths, never on the contents (crypto/subtle).
func (s *Bytes) Equal(t *Bytes) bool {
	return subtle.ConstantTimeCompare(s.Expose(), t.Expose()) == 1
}

// EqualBytes reports whether s holds exactly b, in constant time for equal
// lengths.
func (s *Bytes) EqualBytes(b []byte) bool {
	return subtle.ConstantTimeCompare(s.Expose(), b) == 1
}

// Clone returns an independent copy of s.
func (s *Bytes) Clone() *Bytes {
	return New(s.Expose())
}

// Clear overwrites the secret with zeros and empties it. See the package
// documentation for why this is a best effort in Go.
func (s *Bytes) Clear() {
	if s == nil {
		return
	}
	clear(s.b)
	s.b = nil
}

// String returns "[REDACTED]". It has a value receiver, so a Bytes value
// formats as redacted too.
func (Bytes) String() string { return redacted }

// GoString returns "[REDACTED]", so %#v cannot print the bytes.
func (Bytes) GoString() string { return redacted }

// Format prints "[REDACTED]" for every verb, including %x and %v.
func (Bytes) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(redacted))
}

var (
	_ fmt.Formatter = Bytes{}
	_ fmt.Stringer  = (*Bytes)(nil)
)
