//go:build !ihsmfaults

package boundary_test

import (
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/statedir"
)

// TestUnboundMaskedKeysRefused shows that a build without the ihsmfaults
// tag refuses the masked-key fault instead of running with it.
func TestUnboundMaskedKeysRefused(t *testing.T) {
	store, err := statedir.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if m, err := boundary.Open(store, boundary.Options{UnboundMaskedKeys: true, PINIterations: 1000}); err == nil {
		t.Fatalf("opened with the fault, state %v", m.State())
	}
}
