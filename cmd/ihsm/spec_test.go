//go:build !ihsmfirmware

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// minimalSpec copies the minimal fixture spec and the repository's schemas
// into a temporary directory and applies the edits (old, new string pairs,
// by file) to it.
func minimalSpec(t *testing.T, edits map[string][2]string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "spec", "model", "testdata", "minimal"), dir)
	copyTree(t, filepath.Join("..", "..", "spec", "schema"), filepath.Join(dir, "schema"))
	for file, e := range edits {
		p := filepath.Join(dir, filepath.FromSlash(file))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(e[0])) {
			t.Fatalf("%s does not contain %q", file, e[0])
		}
		if err := os.WriteFile(p, bytes.Replace(data, []byte(e[0]), []byte(e[1]), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runIHSM(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSpecLint(t *testing.T) {
	dir := minimalSpec(t, nil)
	code, out, errOut := runIHSM("spec", "lint", dir)
	if code != 0 || out != "ok: 2 commands, 4 status codes, 3 requirements, 1 state machines\n" {
		t.Fatalf("lint of a valid spec: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestSpecLintEmbeddedSchemas lints a directory that has no schema/ of its
// own: the embedded schemas check it.
func TestSpecLintEmbeddedSchemas(t *testing.T) {
	dir := minimalSpec(t, map[string][2]string{"status.yaml": {"code: 0x03000001", "code: -1"}})
	if err := os.RemoveAll(filepath.Join(dir, "schema")); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIHSM("spec", "lint", dir)
	if code != 1 || !strings.Contains(out, "status.yaml:5: schema: ") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestSpecLintBroken(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string][2]string
		want  string // a line of the output, after the spec directory
	}{
		{"duplicate opcode", map[string][2]string{"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0101"}},
			"/commands/keys.yaml:4: unique-opcode: opcode 0x0101 is already defined at commands/device.yaml:4"},
		{"dangling status", map[string][2]string{"commands/keys.yaml": {"status: KeyLimitReached", "status: KeyLimitReachd"}},
			"/commands/keys.yaml:17: dangling-status: command GenerateKey names unknown status \"KeyLimitReachd\""},
		{"reused requirement id", map[string][2]string{"requirements/dev.yaml": {"id: IHSM-DEV-002", "id: IHSM-DEV-001"}},
			"/requirements/dev.yaml:10: unique-requirement: requirement IHSM-DEV-001 is already defined at requirements/dev.yaml:2"},
		{"schema violation", map[string][2]string{"status.yaml": {"code: 0x03000001", "code: -1"}},
			"/status.yaml:5: schema: /status/3/code: must be >= 0 but found -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := minimalSpec(t, tt.edits)
			code, out, errOut := runIHSM("spec", "lint", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if !strings.Contains(out, filepath.ToSlash(dir)+tt.want+"\n") {
				t.Fatalf("output lacks %q:\n%s", tt.want, out)
			}
			if !strings.Contains(errOut, "problem(s)") {
				t.Errorf("stderr lacks the problem count: %q", errOut)
			}
		})
	}
}

func TestSpecDiff(t *testing.T) {
	old := minimalSpec(t, nil)
	tests := []struct {
		name  string
		edits map[string][2]string
		code  int
		want  []string
	}{
		{"unchanged", nil, 0, []string{"verdict: ok: 0 breaking, 0 additive, 0 editorial"}},
		{"renumbered command", map[string][2]string{"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0410"}}, 1,
			[]string{"breaking  commands/keys.yaml:2", "renumbered 0x0401 -> 0x0410", "breaking-without-major", "version-not-bumped", "verdict: FAIL"}},
		{"renumbered command with a major revision, same spec version", map[string][2]string{
			"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0410"},
			"spec.yaml":          {"major: 1", "major: 2"},
		}, 1, []string{"renumbered 0x0401 -> 0x0410", "violation: spec.yaml:1: version-not-bumped: 1 breaking change(s) need a minor bump", "verdict: FAIL"}},
		{"renumbered command with a major revision and a 0.x minor version", map[string][2]string{
			"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0410"},
			"spec.yaml":          {"version: 0.1.0\napi_revision: {major: 1", "version: 0.2.0\napi_revision: {major: 2"},
		}, 0, []string{"verdict: ok: 1 breaking"}},
		{"new optional field, same spec version", map[string][2]string{"commands/keys.yaml": {
			"      - {key: 3, name: label,",
			"      - {key: 4, name: note, type: text, size: {max: 8}, optional: true, doc: Note.}\n      - {key: 3, name: label,"}}, 1,
			[]string{"additive", "GenerateKey request field note", "version-not-bumped: 1 additive change(s) need a patch bump"}},
		{"new optional field, patch version", map[string][2]string{
			"commands/keys.yaml": {"      - {key: 3, name: label,", "      - {key: 4, name: note, type: text, size: {max: 8}, optional: true, doc: Note.}\n      - {key: 3, name: label,"},
			"spec.yaml":          {"version: 0.1.0", "version: 0.1.1"},
		}, 0, []string{"additive", "GenerateKey request field note", "verdict: ok: 0 breaking, 1 additive"}},
		{"requirement removed", map[string][2]string{"requirements/dev.yaml": {"  - id: IHSM-DEV-002\n", "  - id: IHSM-DEV-003\n"}}, 1,
			[]string{"requirement-removed: IHSM-DEV-002", "verdict: FAIL"}},
		{"reworded summary", map[string][2]string{"commands/keys.yaml": {"summary: Generates a key.", "summary: Generates a key in the partition."}}, 0,
			[]string{"editorial", "summary changed", "verdict: ok: 0 breaking, 0 additive, 1 editorial"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runIHSM("spec", "diff", old, minimalSpec(t, tt.edits))
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("spec version went back", func(t *testing.T) {
		newer := minimalSpec(t, map[string][2]string{"spec.yaml": {"version: 0.1.0", "version: 0.2.0"}})
		code, out, _ := runIHSM("spec", "diff", newer, old)
		if code != 1 || !strings.Contains(out, "violation: spec.yaml:1: version-decreased: spec version went back from 0.2.0 to 0.1.0") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, _ := runIHSM("spec", "diff", "-json", old, minimalSpec(t, map[string][2]string{"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0410"}}))
		var r struct {
			OK      bool `json:"ok"`
			Changes []struct {
				Class, File string
				Line        int
			}
			Violations []struct {
				Rule, File string
				Line       int
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if code != 1 || r.OK || len(r.Changes) != 1 || r.Changes[0].Class != "breaking" || len(r.Violations) != 2 {
			t.Fatalf("exit %d, report %+v", code, r)
		}
		if c := r.Changes[0]; c.File != "commands/keys.yaml" || c.Line != 2 {
			t.Errorf("change at %s:%d, want commands/keys.yaml:2", c.File, c.Line)
		}
		for _, v := range r.Violations {
			if v.File != "spec.yaml" || v.Line != 1 {
				t.Errorf("violation %s at %s:%d, want spec.yaml:1", v.Rule, v.File, v.Line)
			}
		}
	})
}

func TestSpecDump(t *testing.T) {
	code, out, errOut := runIHSM("spec", "dump", minimalSpec(t, nil))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Meta     struct{ Version string }
		Commands []struct {
			Name   string
			Opcode int
			Errors []struct{ Status string }
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if s.Meta.Version != "0.1.0" || len(s.Commands) != 2 || s.Commands[1].Name != "GenerateKey" || s.Commands[1].Opcode != 0x0401 || s.Commands[1].Errors[0].Status != "KeyLimitReached" {
		t.Fatalf("dump = %+v", s)
	}
}

func TestSpecUsage(t *testing.T) {
	for _, args := range [][]string{
		{"spec"},
		{"spec", "frobnicate"},
		{"spec", "diff", "one"},
		{"spec", "lint", "a", "b"},
		{"spec", "lint", "-nope"},
	} {
		if code, _, _ := runIHSM(args...); code != 2 {
			t.Errorf("ihsm %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	if code, _, errOut := runIHSM("spec", "lint", filepath.Join(t.TempDir(), "missing")); code != 1 || !strings.Contains(errOut, "problem(s)") {
		t.Errorf("lint of a missing directory: exit %d, %q", code, errOut)
	}
}

// TestSpecBinary runs the real binary: lint of the repository's spec from
// the repository root (the default directory), then of a broken copy.
func TestSpecBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ihsm binary")
	}
	bin := filepath.Join(t.TempDir(), "ihsm")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	lint := exec.Command(bin, "spec", "lint")
	lint.Dir = filepath.Join("..", "..")
	out, err := lint.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok: ") {
		t.Fatalf("ihsm spec lint in the repository root: %v\n%s", err, out)
	}
	broken := minimalSpec(t, map[string][2]string{"commands/keys.yaml": {"opcode: 0x0401", "opcode: 0x0101"}})
	out, err = exec.Command(bin, "spec", "lint", broken).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "unique-opcode") {
		t.Fatalf("ihsm spec lint of a broken spec: %v\n%s", err, out)
	}
}

func TestVersion(t *testing.T) {
	code, out, errOut := runIHSM("version")
	if code != 0 || !strings.HasPrefix(out, "OpenIHSM spec ") || !strings.Contains(out, ", API revision ") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, _, _ := runIHSM("version", "extra"); code != 2 {
		t.Errorf("ihsm version extra: exit %d, want 2", code)
	}
}
