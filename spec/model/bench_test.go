package model

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func BenchmarkLoad(b *testing.B) {
	m := specMapFS(b, os.DirFS(filepath.Join("testdata", "minimal")), os.DirFS(filepath.Join("..", "schema")))
	for b.Loop() {
		if _, err := Load(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadOneFileChanged is an execution of FuzzLoad: the spec with
// one file changed, the others parsed once.
func BenchmarkLoadOneFileChanged(b *testing.B) {
	base := specMapFS(b, os.DirFS(specDir), os.DirFS(filepath.Join("..", "schema")))
	sc, err := CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
	if err != nil {
		b.Fatal(err)
	}
	load, err := sc.withParsed(base)
	if err != nil {
		b.Fatal(err)
	}
	m := fstest.MapFS{}
	for k, v := range base {
		m[k] = v
	}
	m["status.yaml"] = &fstest.MapFile{Data: append([]byte("# changed\n"), base["status.yaml"].Data...)}
	for b.Loop() {
		if _, err := load(m); err != nil {
			b.Fatal(err)
		}
	}
}
