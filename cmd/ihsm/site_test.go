//go:build !ihsmfirmware

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// specCopy copies the repository's spec (its YAML and schemas) into a
// temporary directory and applies edits (old, new string pairs, by file).
func specCopy(t *testing.T, edits map[string][2]string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "spec")
	for _, sub := range []string{"commands", "requirements", "architecture", "schema"} {
		copyTree(t, filepath.Join(src, sub), filepath.Join(dir, sub))
	}
	for _, f := range []string{"spec.yaml", "wire.yaml", "types.yaml", "status.yaml", "states.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for file, e := range edits {
		p := filepath.Join(dir, filepath.FromSlash(file))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), e[0]) {
			t.Fatalf("%s does not contain %q", file, e[0])
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), e[0], e[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSiteBuildOfAnEditedSpec: with --spec, the command pages show the
// field tables, example frames and JSON Schemas of that spec, never a mix
// with the embedded vectors and schemas.
func TestSiteBuildOfAnEditedSpec(t *testing.T) {
	const field = "      - {key: 5, name: label, type: text, size: {min: 1, max: 64}, optional: true, doc: \"The key's label.\"}\n    errors:\n      - {status: KeyTagNotFound"
	dir := specCopy(t, map[string][2]string{"commands/keys.yaml": {field,
		"      - {key: 5, name: label, type: text, size: {min: 1, max: 64}, optional: true, doc: \"The key's label.\"}\n      - {key: 6, name: extra_note, type: text, size: {min: 1, max: 8}, doc: \"A note.\"}\n    errors:\n      - {status: KeyTagNotFound"}})
	out := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := runIHSM("site", "build", "--out", out, "--spec", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "protocol", "commands", "OpenKey.html"))
	if err != nil {
		t.Fatal(err)
	}
	p := string(page)
	if !strings.Contains(p, "<code>extra_note</code>") {
		t.Error("the field table lacks the new field")
	}
	if !strings.Contains(p, "&#34;extra_note&#34;: {") {
		t.Error("the JSON Schema lacks the new field: it is not the edited spec's")
	}
	if !strings.Contains(p, "&#34;extra_note&#34;: &#34;") {
		t.Error("the example response lacks the new field: it is not the edited spec's")
	}
}

// TestSiteBuildRefusesAnUngeneratableSpec: a spec whose vectors and
// schemas cannot be generated is refused, not shown with another's.
func TestSiteBuildRefusesAnUngeneratableSpec(t *testing.T) {
	dir := specCopy(t, map[string][2]string{"wire.yaml": {"  - {key: 5, name: sequence, type: u64, range: {min: 1, max: 18446744073709551615}, optional: true, doc: \"The channel sequence number of a sealed request.",
		"  - {key: 8, name: sequence, type: u64, range: {min: 1, max: 18446744073709551615}, optional: true, doc: \"The channel sequence number of a sealed request."}})
	code, _, stderr := runIHSM("site", "build", "--out", filepath.Join(t.TempDir(), "site"), "--spec", dir)
	if code != 1 || !strings.Contains(stderr, "cannot be generated") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
}

// TestSiteChangelogFromGit: --previous-spec git:REF compares with the spec
// of a commit; git:latest-tag with the last release tag, or says there is
// none; an unknown ref is an error.
func TestSiteChangelogFromGit(t *testing.T) {
	if err := exec.Command("git", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not in a git work tree")
	}
	out := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := runIHSM("site", "build", "--out", out, "--previous-spec", "git:HEAD")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "changelog.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "compared with the spec of git HEAD") || !strings.Contains(string(page), "verdict: ") {
		t.Errorf("the changelog does not compare with HEAD:\n%s", page)
	}
	code, _, stderr = runIHSM("site", "build", "--out", out, "--previous-spec", "git:latest-tag")
	if code != 0 {
		t.Fatalf("git:latest-tag: exit %d: %s", code, stderr)
	}
	page, _ = os.ReadFile(filepath.Join(out, "changelog.html"))
	tags, _ := exec.Command("git", "tag").Output()
	if len(strings.TrimSpace(string(tags))) == 0 && !strings.Contains(string(page), "the repository has no release tag yet") {
		t.Errorf("without a tag the changelog does not say so:\n%s", page)
	}
	if code, _, _ := runIHSM("site", "build", "--out", out, "--previous-spec", "git:no-such-ref-anywhere"); code != 1 {
		t.Errorf("an unknown ref: exit %d, want 1", code)
	}
}
