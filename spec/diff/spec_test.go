package diff

import (
	"os"
	"path/filepath"
	"sync"
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
	sc, err := realSchemas()
	if err != nil {
		t.Fatal(err)
	}
	s, err := sc.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// realSchemas compiles the spec's schemas once for every case.
var realSchemas = sync.OnceValues(func() (*model.Schemas, error) {
	return model.CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
})

// TestDiffSpec classifies edits to copies of the real spec.
func TestDiffSpec(t *testing.T) {
	testDiffCases(t, realSpec)
}
