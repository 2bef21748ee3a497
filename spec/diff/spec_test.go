package diff

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/spec/model"
)

// realSpec loads the spec under spec/ from disk; spec/model's TestSpecLints
// fails when it is missing or broken, so this only skips.
func realSpec(t *testing.T) *model.Spec {
	t.Helper()
	dir := filepath.Join("..")
	if _, err := os.Stat(filepath.Join(dir, "spec.yaml")); err != nil {
		t.Skip("spec/spec.yaml is missing")
	}
	s, err := model.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDiffSpec classifies edits to copies of the real spec.
func TestDiffSpec(t *testing.T) {
	testDiffCases(t, realSpec)
}
