package statedir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/vault"
)

var _ vault.Store = (*Dir)(nil)

func TestReadWrite(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read("device"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("absent: %v", err)
	}
	if err := d.Write("device", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write("device", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	b, err := d.Read("device")
	if err != nil || string(b) != "v2" {
		t.Fatal(string(b), err)
	}
	st, _ := os.Stat(filepath.Join(d.Path(), "device"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	ents, _ := os.ReadDir(d.Path())
	if len(ents) != 1 {
		t.Fatalf("temp files left: %v", ents)
	}
	for _, bad := range []string{"", "../x", "a/b", "A", "x.y", string(make([]byte, 65))} {
		if err := d.Write(bad, nil); err == nil {
			t.Errorf("name %q accepted", bad)
		}
		if _, err := d.Read(bad); err == nil {
			t.Errorf("name %q read", bad)
		}
	}
}

// TestVaultOverDir checks the vault's corruption and foreign-state refusals
// on real files.
func TestVaultOverDir(t *testing.T) {
	a, _ := Open(filepath.Join(t.TempDir(), "a"))
	b, _ := Open(filepath.Join(t.TempDir(), "b"))
	va, _, err := vault.Open(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	vb, _, _ := vault.Open(b, nil)
	va.Put("device", []byte("a"))
	vb.Put("device", []byte("b"))
	raw, _ := b.Read("device")
	a.Write("device", raw)
	if _, err := va.Get("device"); !errors.Is(err, vault.ErrStateForeign) {
		t.Fatalf("foreign: %v", err)
	}
	va.Put("device", []byte("a"))
	raw, _ = a.Read("device")
	raw[len(raw)-1] ^= 1
	a.Write("device", raw)
	if _, err := va.Get("device"); !errors.Is(err, vault.ErrStateCorrupt) {
		t.Fatalf("corrupt: %v", err)
	}
}

// TestOpenLocked: one process at a time, and the temporary files of an
// interrupted write are removed once the lock is held.
func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	d, err := OpenLocked(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write("device", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(path, ".device.tmp-12345")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLocked(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second OpenLocked: %v, want ErrInUse", err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatal("a refused opener removed a temporary file of the lock holder")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := OpenLocked(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stale temporary file left: %v", err)
	}
	if b, err := d2.Read("device"); err != nil || string(b) != "v1" {
		t.Fatalf("record after reopening: %q, %v", b, err)
	}
}
