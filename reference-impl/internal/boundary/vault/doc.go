// Package vault keeps the device's own persistent state (identity keys,
// partition masking roots, partition credentials, lockout counters)
// encrypted and authenticated at rest.
//
// The boundary never touches files: the caller injects a [Store], two
// methods over named records, and the atomic file implementation lives
// outside the boundary (reference-impl/internal/statedir). The vault
// encrypts and authenticates every record it writes and refuses every
// record it cannot authenticate.
//
// # Root of trust
//
// All vault keys derive from a 32-byte unique device secret, the "fuse"
// secret. A hardware HSM keeps it in fuses or a PUF; the reference HSM keeps
// it in the record named "fuse" of its own store (a 0600 file of the state
// directory, created at first start) unless the caller supplies it. The
// reference HSM's root of trust is therefore that file: whoever can read it
// can decrypt the state directory. This is stated, not hidden.
//
// # Record format
//
//	"IHSV" | version (1) | state_id (16) | nonce (12) | AES-256-GCM ciphertext || tag
//
// The key and the state id both come from the fuse secret with HKDF-SHA384
// (RFC 5869; info "OpenIHSM-v1 vault key" and "OpenIHSM-v1 state id"). The
// AAD is the 21-byte prefix followed by the record name, so a record
// renamed, edited or truncated is [ErrStateCorrupt], and a record written
// under another fuse secret (another state directory) is [ErrStateForeign].
// A state directory whose fuse record is missing while device records exist
// is refused as corrupt, never silently re-created.
package vault
