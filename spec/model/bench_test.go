package model

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkLoad(b *testing.B) {
	m := specMapFS(b, os.DirFS(filepath.Join("testdata", "minimal")), os.DirFS(filepath.Join("..", "schema")))
	for b.Loop() {
		if _, err := Load(m); err != nil {
			b.Fatal(err)
		}
	}
}
