// Package statedir is the reference HSM's state directory: the file-backed
// implementation of the boundary's record store (boundary/vault.Store).
//
// It lives outside the security boundary because it needs the os package;
// it only ever sees records the vault has already encrypted (and the fuse
// secret record, see the vault package documentation).
//
// Every write is atomic and durable: the record is written to a temporary
// file in the same directory, the file is fsynced and closed, renamed over
// the record (rename(2) is atomic within a file system), and the directory
// itself is fsynced so the rename survives a crash. A kill -9 at any moment
// therefore leaves either the old record or the new one. Files are created
// 0600 in a 0700 directory. Record names are restricted to lower-case
// letters, digits and '-', so a name can never leave the directory.
//
// A device process opens the directory with [OpenLocked], which takes an
// exclusive lock so that two processes never write one device's state, and
// then removes the temporary files a crash left behind.
//
// # Limits
//
// The directory keeps only the latest version of each record, and nothing
// in it can tell an old record from a current one: whoever can write the
// directory can put back an older copy of the whole directory, or of a
// record, and the device will accept it (rollback). Restoring an old
// partition record, for example, restores its PIN failure counter and so
// undoes a lockout. A hardware HSM closes this with a monotonic counter or
// a replay-protected memory block; the reference HSM has neither, and its
// state directory must be protected by the host's file permissions.
package statedir
