package device

import (
	"io/fs"
	"sync"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
)

// MemoryStore is a record store held in memory: the state of a device that
// is forgotten when the process ends (tests, embedding, `ihsm serve
// --ephemeral`). It meets the boundary's Store contract: writes are atomic
// (a reader sees the old record or the new one), and a missing record reads
// as fs.ErrNotExist. The records it holds are already encrypted by the
// boundary's vault.
type MemoryStore struct {
	mu   sync.Mutex
	recs map[string][]byte
}

var _ boundary.Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{recs: map[string][]byte{}} }

// Read returns a copy of record name.
func (m *MemoryStore) Read(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.recs[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), b...), nil
}

// Write replaces record name with a copy of data.
func (m *MemoryStore) Write(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[name] = append([]byte(nil), data...)
	return nil
}
