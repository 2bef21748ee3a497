package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Dir is a state directory. It is safe for concurrent use by one process;
// concurrent writes of the same record leave one of them.
type Dir struct {
	path string
	lock *os.File // held by OpenLocked until Close
}

// Open returns the state directory at path, creating it (0700) if needed.
// It takes no lock; a device process uses [OpenLocked].
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return &Dir{path: path}, nil
}

// ErrInUse is returned by OpenLocked when another process holds the
// directory.
var ErrInUse = errors.New("statedir: state directory is in use by another process")

// OpenLocked opens the state directory for the one process that may write
// it: it takes an exclusive lock (flock(2) of the file .lock, released by
// Close or when the process ends, also by kill -9), then removes the
// temporary files of writes a crash interrupted, which only the lock holder
// may do, since they may belong to a write in progress otherwise.
func OpenLocked(path string) (*Dir, error) {
	d, err := Open(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(path, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	d.lock = f
	if err := d.removeStale(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// removeStale removes the temporary files Write leaves behind when the
// process dies between creating and renaming them.
func (d *Dir) removeStale() error {
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp-") && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(d.path, n)); err != nil {
				return fmt.Errorf("state directory: %w", err)
			}
		}
	}
	return nil
}

// Close releases the lock of OpenLocked (a no-op for Open).
func (d *Dir) Close() error {
	if d.lock == nil {
		return nil
	}
	err := d.lock.Close()
	d.lock = nil
	return err
}

// Path returns the directory path.
func (d *Dir) Path() string { return d.path }

var errName = errors.New("statedir: invalid record name")

func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Read returns the record; an absent record's error matches fs.ErrNotExist.
func (d *Dir) Read(name string) ([]byte, error) {
	if !validName(name) {
		return nil, errName
	}
	return os.ReadFile(filepath.Join(d.path, name))
}

// Write replaces the record atomically and durably.
func (d *Dir) Write(name string, data []byte) (err error) {
	if !validName(name) {
		return errName
	}
	f, err := os.CreateTemp(d.path, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(d.path, name)); err != nil {
		return err
	}
	return syncDir(d.path)
}

func syncDir(path string) error {
	dir, err := os.Open(path)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
