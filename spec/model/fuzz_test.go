package model

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// specMapFS reads the spec files of root (and its schemas from schemas) into
// memory.
func specMapFS(t testing.TB, root, schemas fs.FS) fstest.MapFS {
	m := fstest.MapFS{}
	add := func(src fs.FS, prefix string) {
		err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != "." && !slices.Contains([]string{"commands", "requirements", "architecture", "schema"}, p) {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".json") {
				return nil
			}
			data, err := fs.ReadFile(src, p)
			if err != nil {
				return err
			}
			m[prefix+p] = &fstest.MapFile{Data: data}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(root, "")
	add(schemas, "schema/")
	return m
}

// FuzzLoad replaces one file of the spec with arbitrary bytes: Load must
// return a spec or problems, never panic, and never both. The other files
// are parsed once (Schemas.withParsed), so an execution costs the parse,
// validation and decoding of one file and the lint of the whole spec.
func FuzzLoad(f *testing.F) {
	// Seeded from the real spec; from the minimal fixture while there is none.
	root := os.DirFS(specDir)
	if _, err := fs.Stat(root, "spec.yaml"); err != nil {
		root = os.DirFS(filepath.Join("testdata", "minimal"))
	}
	base := specMapFS(f, root, os.DirFS(filepath.Join("..", "schema")))
	schemas, err := CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
	if err != nil {
		f.Fatal(err)
	}
	load, err := schemas.withParsed(base)
	if err != nil {
		f.Fatal(err)
	}
	var names []string
	for n := range base {
		if strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for i, n := range names {
		f.Add(uint8(i), base[n].Data)
	}
	f.Add(uint8(0), []byte("a: &x [*x]\n"))
	f.Add(uint8(1), []byte("commands:\n  - <<: {id: 1}\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[names[int(which)%len(names)]] = &fstest.MapFile{Data: data}
		s, err := load(m)
		if (s == nil) == (err == nil) {
			t.Fatalf("Load returned spec %v and error %v", s != nil, err)
		}
		if err != nil {
			ps, ok := err.(Problems)
			if !ok || len(ps) == 0 {
				t.Fatalf("error is %T with %v", err, err)
			}
			for _, p := range ps {
				if p.Rule == "" || p.Message == "" {
					t.Fatalf("problem without rule or message: %#v", p)
				}
			}
		}
	})
}

// TestLoadReusesParsedFiles: loading through withParsed gives the same
// result as loading afresh, for the unchanged spec and for one whose file
// changed (a problem in it, then the file back as it was).
func TestLoadReusesParsedFiles(t *testing.T) {
	base := specMapFS(t, os.DirFS(specDir), os.DirFS(filepath.Join("..", "schema")))
	schemas, err := CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
	if err != nil {
		t.Fatal(err)
	}
	load, err := schemas.withParsed(base)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := schemas.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	reused, err := load(base)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fresh.JSON()
	b, _ := reused.JSON()
	if string(a) != string(b) {
		t.Fatal("the spec loaded from parsed files differs from the one loaded afresh")
	}
	broken := fstest.MapFS{}
	for k, v := range base {
		broken[k] = v
	}
	broken["status.yaml"] = &fstest.MapFile{Data: []byte("status: []\n")}
	_, errFresh := schemas.Load(broken)
	_, errReused := load(broken)
	if errFresh == nil || errReused == nil || errFresh.Error() != errReused.Error() {
		t.Fatalf("a changed file: afresh %v, reused %v", errFresh, errReused)
	}
	again, err := load(base)
	if err != nil {
		t.Fatalf("the unchanged spec after a changed one: %v", err)
	}
	if c, _ := again.JSON(); string(c) != string(a) || again.Commands[0].Pos.Line != fresh.Commands[0].Pos.Line {
		t.Fatal("the unchanged spec after a changed one differs from the one loaded afresh")
	}
}
