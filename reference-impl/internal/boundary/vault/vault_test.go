package vault

import (
	"errors"
	"io/fs"
	"maps"
	"sync"
	"testing"
)

// memStore is an in-memory Store for the vault's own tests; the file
// implementation is tested in statedir and with the facade.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMem() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) Read(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (s *memStore) Write(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = append([]byte(nil), data...)
	return nil
}

func TestRoundTripAndRefusals(t *testing.T) {
	st := newMem()
	v, created, err := Open(st, nil)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	if err := v.Put("device", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	v.Put("partition-0", []byte("p0"))
	v2, created, err := Open(st, nil)
	if err != nil || created {
		t.Fatal(err, created)
	}
	got, err := v2.Get("device")
	if err != nil || string(got.Expose()) != "hello" {
		t.Fatal(err)
	}
	if _, err := v2.Get("nothing"); !errors.Is(err, ErrNoRecord) {
		t.Fatal(err)
	}
	// corrupted byte
	st.m["device"][30] ^= 1
	if _, err := v2.Get("device"); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("corrupt: %v", err)
	}
	// truncated
	st.m["device"] = st.m["device"][:10]
	if _, err := v2.Get("device"); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
	// renamed record
	st.m["device"] = st.m["partition-0"]
	if _, err := v2.Get("device"); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("renamed: %v", err)
	}
	// record from another state dir
	other := newMem()
	ov, _, _ := Open(other, nil)
	ov.Put("device", []byte("foreign"))
	st.m["device"] = other.m["device"]
	if _, err := v2.Get("device"); !errors.Is(err, ErrStateForeign) {
		t.Fatalf("foreign: %v", err)
	}
	// whole foreign fuse
	mixed := newMem()
	maps.Copy(mixed.m, st.m)
	mixed.m[FuseRecord] = other.m[FuseRecord]
	mv, _, err := Open(mixed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mv.Get("partition-0"); !errors.Is(err, ErrStateForeign) {
		t.Fatalf("foreign fuse: %v", err)
	}
	// fuse missing while state exists
	delete(st.m, FuseRecord)
	if _, _, err := Open(st, nil); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("missing fuse: %v", err)
	}
	st.m[FuseRecord] = []byte{1, 2}
	if _, _, err := Open(st, nil); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("short fuse: %v", err)
	}
	// caller-supplied fuse
	fuse := make([]byte, 32)
	cv, created, err := Open(newMem(), fuse)
	if err != nil || created {
		t.Fatal(err)
	}
	cv.Put("x", []byte("y"))
	if _, _, err := Open(newMem(), fuse[:3]); err == nil {
		t.Fatal("short caller fuse accepted")
	}
}

func TestEraseReadsAsNoRecord(t *testing.T) {
	st := newMem()
	v, _, err := Open(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Put("partition-0", []byte("credential")); err != nil {
		t.Fatal(err)
	}
	if err := Erase(st, "partition-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get("partition-0"); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("erased record: %v, want ErrNoRecord", err)
	}
	if err := v.Put("partition-0", []byte("again")); err != nil {
		t.Fatal(err)
	}
	if b, err := v.Get("partition-0"); err != nil || string(b.Expose()) != "again" {
		t.Fatalf("record written after erasure: %v", err)
	}
}

func TestErasedAndFinal(t *testing.T) {
	st := newMem()
	v, _, err := Open(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get("partition-0"); !errors.Is(err, ErrNoRecord) || errors.Is(err, ErrErased) {
		t.Fatalf("absent record: %v, want ErrNoRecord and not ErrErased", err)
	}
	v.Put("partition-0", []byte("x"))
	Erase(st, "partition-0")
	if _, err := v.Get("partition-0"); !errors.Is(err, ErrErased) {
		t.Fatalf("erased record: %v, want ErrErased", err)
	}
	if _, _, ok, err := ReadFinal(st); ok || err != nil {
		t.Fatalf("no sentinel: final %v, %v", ok, err)
	}
	v.Put(SentinelRecord, []byte("sealed"))
	if _, _, ok, err := ReadFinal(st); ok || err != nil {
		t.Fatalf("sealed sentinel: final %v, %v", ok, err)
	}
	if err := WriteFinal(st, 4, 300); err != nil {
		t.Fatal(err)
	}
	state, parts, ok, err := ReadFinal(st)
	if !ok || err != nil || state != 4 || parts != 300 {
		t.Fatalf("final record: %d %d %v %v", state, parts, ok, err)
	}
	if _, err := v.Get(SentinelRecord); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("final record read as a sealed one: %v", err)
	}
	st.m[SentinelRecord] = append(st.m[SentinelRecord], 0)
	if _, _, _, err := ReadFinal(st); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("malformed final record: %v", err)
	}
}
