package release

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/keys"
)

// gitModule makes a one-command module in a new git repository with one
// commit and returns its directory.
func gitModule(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tree\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// TestModifiedSource: a work tree with uncommitted changes is refused at
// build time unless allowed, and its evidence then fails verification
// unless the trust policy allows modified sources.
func TestModifiedSource(t *testing.T) {
	ctx := context.Background()
	key, _ := keys.Generate(nil)
	src := gitModule(t)
	tmp := t.TempDir()
	pub, _ := keys.MarshalPublic(key.Public())
	os.WriteFile(filepath.Join(tmp, "producer.pub"), pub, 0o644)
	strict := filepath.Join(tmp, "strict.yaml")
	os.WriteFile(strict, []byte("producers:\n  keys: [producer.pub]\n"), 0o644)
	lenient := filepath.Join(tmp, "lenient.yaml")
	os.WriteFile(lenient, []byte("producers:\n  keys: [producer.pub]\nallow_modified_source: true\n"), 0o644)
	produce := func(allow bool) (string, error) {
		out := filepath.Join(t.TempDir(), "ev")
		_, err := Produce(ctx, ProduceOptions{Source: src, Package: ".", Out: out, Key: key, SourceDateEpoch: 1700000000, AllowModified: allow})
		return out, err
	}

	clean, err := produce(false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := verifyDir(t, clean, strict)
	if err != nil {
		t.Fatalf("clean tree: %v", err)
	}
	if !hasCheck(s, "source of bin/tree", "no uncommitted changes") {
		t.Fatalf("no source check in %+v", s.Checks)
	}

	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println() }\n"), 0o644)
	if _, err := produce(false); !errors.Is(err, build.ErrModified) {
		t.Fatalf("modified tree without AllowModified: %v", err)
	}
	dirty, err := produce(true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifyDir(t, dirty, strict)
	var le *LinkError
	if !errors.As(err, &le) || le.Link != "source of bin/tree" || !errors.Is(err, ErrModifiedSource) {
		t.Fatalf("modified source under a strict policy: %v", err)
	}
	s, err = verifyDir(t, dirty, lenient)
	if err != nil {
		t.Fatalf("modified source under allow_modified_source: %v", err)
	}
	if !hasCheck(s, "source of bin/tree", "WARNING") {
		t.Fatalf("the accepted modified source is not reported: %+v", s.Checks)
	}

	// A re-signed manifest that hides the modification is caught by the
	// provenance, and with the provenance aside, by the binary itself.
	hidden := clone(t, dirty)
	data, _ := os.ReadFile(filepath.Join(hidden, ManifestFile))
	m, _ := parseManifest(data)
	m.SourceModified = false
	out, _ := marshalManifest(m)
	os.WriteFile(filepath.Join(hidden, ManifestFile), out, 0o644)
	resign(t, hidden, key)
	_, err = verifyDir(t, hidden, lenient)
	if !errors.As(err, &le) || !strings.HasPrefix(le.Link, "provenance ") || !errors.Is(err, ErrCrossCheck) {
		t.Fatalf("manifest hiding the modification: %v", err)
	}
}

func hasCheck(s *Summary, link, detail string) bool {
	for _, c := range s.Checks {
		if c.Link == link && strings.Contains(c.Detail, detail) {
			return true
		}
	}
	return false
}
