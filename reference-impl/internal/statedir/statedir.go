package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir is a state directory. It is safe for concurrent use by one process;
// concurrent writes of the same record leave one of them.
type Dir struct {
	path string
}

// Open returns the state directory at path, creating it (0700) if needed.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return &Dir{path: path}, nil
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
