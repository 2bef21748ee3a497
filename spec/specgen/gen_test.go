package specgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/spec/model"
)

// specRoot is the spec directory, seen from this package. The generated
// files are always compared with the tree under .. (where they live);
// -spec only changes where the spec is read from in the other tests.
var specFlag = flag.String("spec", "..", "the spec root to read")

const specRoot = ".."

// TestGeneratedFilesAreFresh regenerates everything from the spec in memory
// and fails when a committed file differs, is missing, or is left over from
// an older spec: go test ./... catches a forgotten go generate.
func TestGeneratedFilesAreFresh(t *testing.T) {
	if _, err := os.Stat(filepath.Join(specRoot, "spec.yaml")); os.IsNotExist(err) {
		t.Skip("spec/spec.yaml does not exist: there is no spec to compare with")
	}
	s, err := model.LoadDir(specRoot)
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	files, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(specRoot, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./spec/wire)", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s is stale (run go generate ./spec/wire)", f.Path)
		}
	}
	for _, dir := range OwnedDirs {
		old, err := filepath.Glob(filepath.Join(specRoot, dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range old {
			rel, _ := filepath.Rel(specRoot, p)
			if !want[filepath.ToSlash(rel)] {
				t.Errorf("%s is not generated from the spec any more (run go generate ./spec/wire)", rel)
			}
		}
	}
}

// TestDeterministic generates twice and compares: no map order, clock or
// randomness may leak into the output.
func TestDeterministic(t *testing.T) {
	var runs [2][]File
	for i := range runs {
		s, err := model.LoadDir(*specFlag)
		if err != nil {
			t.Fatal(err)
		}
		if runs[i], err = Generate(s); err != nil {
			t.Fatal(err)
		}
	}
	if len(runs[0]) != len(runs[1]) {
		t.Fatalf("%d files, then %d", len(runs[0]), len(runs[1]))
	}
	for i := range runs[0] {
		if runs[0][i].Path != runs[1][i].Path || !bytes.Equal(runs[0][i].Data, runs[1][i].Data) {
			t.Errorf("%s differs between runs", runs[0][i].Path)
		}
	}
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"key_handle": "KeyHandle", "request_id": "RequestID", "iv": "IV", "aad": "AAD",
		"sealed_pin": "SealedPIN", "public_key": "PublicKey", "firmware_version": "FirmwareVersion",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

// The generator refuses a spec it cannot turn into compiling code.
func TestCheckRefuses(t *testing.T) {
	base := func() *model.Spec {
		s, err := model.LoadDir(*specFlag)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, mut := range map[string]func(s *model.Spec){
		"duplicate opcode": func(s *model.Spec) { s.Commands[1].Opcode = s.Commands[0].Opcode },
		"unknown status": func(s *model.Spec) {
			s.Commands[0].Errors = append(s.Commands[0].Errors, model.ErrorRow{Status: "Nope"})
		},
		"header drift": func(s *model.Spec) { s.Wire.RequestHeader[0].Key = 9 },
		"envelope header as a byte string": func(s *model.Spec) {
			s.Wire.Envelope[0].Type, s.Wire.Envelope[0].Map = model.TypeBytes, ""
		},
		"envelope body as a byte string": func(s *model.Spec) {
			s.Wire.Envelope[1].Type, s.Wire.Envelope[1].Map = model.TypeBytes, ""
		},
		"list of flags": func(s *model.Spec) {
			s.Commands[0].Request = append(s.Commands[0].Request, model.Field{Key: 20, Name: "x", Type: "list", Items: "flags"})
		},
		"reserved name": func(s *model.Spec) {
			s.Commands[0].Request = append(s.Commands[0].Request, model.Field{Key: 21, Name: "opcode", Type: "u16"})
		},
		"key too large": func(s *model.Spec) {
			s.Commands[0].Request = append(s.Commands[0].Request, model.Field{Key: 24, Name: "x", Type: "u8"})
		},
	} {
		s := base()
		mut(s)
		if _, err := Generate(s); err == nil {
			t.Errorf("%s: generated anyway", name)
		}
	}
}
