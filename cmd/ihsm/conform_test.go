package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestConformLint runs `ihsm conform lint` over the embedded bundle,
// which must be clean, and over broken fixtures, which must fail with
// file:line: rule lines.
func TestConformLint(t *testing.T) {
	code, out, errOut := runIHSM("conform", "lint")
	if code != 0 || !strings.HasPrefix(out, "ok: embedded features, ") {
		t.Fatalf("lint of the embedded bundle: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = runIHSM("conform", "lint", filepath.Join("..", "..", "conformance", "lint", "testdata", "broken"))
	if code != 1 {
		t.Fatalf("lint of broken features: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"outlines.feature:24: undefined-step: ", "tags.feature:9: unknown-requirement: ", "uncovered.yaml:4: exemption: "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if code, _, _ := runIHSM("conform", "lint", "a", "b"); code != 2 {
		t.Errorf("two directories: exit %d, want 2", code)
	}
	if code, _, _ := runIHSM("conform", "lint", filepath.Join("..", "..", "no-such-dir")); code != 1 {
		t.Errorf("a missing directory: exit %d, want 1", code)
	}
}
