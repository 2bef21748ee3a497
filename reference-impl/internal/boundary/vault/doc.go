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
//
// # Erasure and destruction
//
// [Erase] overwrites a record with a tombstone, and [WriteFinal] replaces
// the sentinel record with a plaintext final-state record; neither uses any
// algorithm, so a device in its error state can still zeroize. The boundary
// destroys a device's state (tamper, zeroize-all) by writing the final-state
// record, then erasing the fuse record, then the other records. Every key
// that encrypts a record derives from the fuse secret, so once it is erased
// no copy of the old records (a backup, a disk image, a file recovered
// from the disk) can be decrypted again. When the caller supplies the fuse
// secret instead of the store holding it, the vault cannot destroy it: the
// records are erased, but a copy of them stays as recoverable as the
// caller's secret.
//
// # Limits
//
// These are stated, not hidden:
//
//   - The reference HSM's root of trust is the fuse file beside the records
//     (see Root of trust): anyone who can read the state directory can
//     decrypt it, and can then attack the PIN verifiers offline (PBKDF2,
//     20 000 iterations by default) without the lockout.
//   - There is no rollback protection: a record, or the whole directory,
//     copied back from an earlier time authenticates and is used. Putting an
//     old partition record back restores its PIN failure counter and so
//     undoes a lockout; putting a whole copy (fuse included) back over a
//     destroyed state revives it. A hardware HSM closes this with a
//     monotonic counter or replay-protected memory; the reference HSM relies
//     on the host's file permissions.
//   - The final-state record is not authenticated: whoever can write the
//     store can make a device read as destroyed, as they could delete its
//     state.
package vault
