package model

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec/model/internal/spectest"
)

// specDir is the real spec, seen from this package. The tests read it from
// disk rather than through package spec's embedded copy, so this package
// builds and its other tests run while the spec is being written.
var specDir = filepath.Join("..")

// needSpec skips a test that edits the real spec when there is none yet;
// TestSpecLints fails in that case, so the gap is never silent.
func needSpec(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(specDir, "spec.yaml")); err != nil {
		t.Skip("spec/spec.yaml is missing (TestSpecLints reports it)")
	}
}

// TestSpecLints loads the spec itself: it must be valid, and the orders
// every consumer relies on must hold.
func TestSpecLints(t *testing.T) {
	s, err := LoadDir(specDir)
	if err != nil {
		t.Fatalf("the spec does not lint clean:\n%v", err)
	}
	if !slices.IsSortedFunc(s.Commands, func(a, b Command) int { return int(a.Opcode) - int(b.Opcode) }) {
		t.Error("commands are not in opcode order")
	}
	if !slices.IsSortedFunc(s.Requirements, func(a, b Requirement) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("requirements are not in id order")
	}
	for i := range s.Commands {
		c := &s.Commands[i]
		if c.Pos.File == "" || c.Pos.Line == 0 {
			t.Errorf("command %s has no position", c.Name)
		}
		if s.CommandByOpcode(c.Opcode) != c || s.Command(c.Name) != c {
			t.Errorf("command %s is not found by name and opcode", c.Name)
		}
		for _, r := range s.EffectiveErrors(c) {
			if s.StatusByName(r.Status) == nil {
				t.Errorf("command %s: effective error %s is not in the registry", c.Name, r.Status)
			}
		}
	}
}

// TestSpecMutations breaks copies of the real spec, one edit at a time.
func TestSpecMutations(t *testing.T) {
	needSpec(t)
	testMutations(t, func(t *testing.T) *spectest.Copy { return spectest.New(t, os.DirFS(specDir)) })
}

// TestLoadNeedsSchemas checks that a spec directory without schema/ is
// refused rather than left unchecked.
func TestLoadNeedsSchemas(t *testing.T) {
	c := spectest.New(t, os.DirFS(filepath.Join("testdata", "minimal")))
	_, err := LoadDir(c.Dir)
	ps, ok := err.(Problems)
	if !ok || !slices.Contains(ps.Rules(), "schema-file") {
		t.Fatalf("want a schema-file problem, got %v", err)
	}
	sc, err := CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Load(os.DirFS(c.Dir)); err != nil {
		t.Fatalf("with schemas given: %v", err)
	}
}

// TestSpecKeyPolicyLint breaks the key policy of the real spec (the
// minimal fixture has none): a kind without an entry, a bit that is no
// KeyUsage bit, and an algorithm no kind fits.
func TestSpecKeyPolicyLint(t *testing.T) {
	needSpec(t)
	for name, edit := range map[string]func(c *spectest.Copy) string{
		"kind without an entry": func(c *spectest.Copy) string {
			c.Delete("types.yaml", "/key_policy/kinds", 0)
			return "/key_policy"
		},
		"unknown usage bit": func(c *spectest.Copy) string {
			c.Set("types.yaml", "/key_policy/kinds/0/usages/0", "Levitate", "!!str")
			return "/key_policy/kinds/0"
		},
		"algorithm no kind fits": func(c *spectest.Copy) string {
			for i := range c.Node("types.yaml", "/key_policy/kinds").Content {
				c.Node("types.yaml", "/key_policy/kinds/"+strconv.Itoa(i)+"/algorithms").Content = nil
			}
			return "/enums"
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := spectest.New(t, os.DirFS(specDir))
			ptr := edit(c)
			c.Write()
			_, err := LoadDir(c.Dir)
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("want problems, got %v", err)
			}
			line := c.Line("types.yaml", ptr)
			found := false
			for _, e := range ps {
				if e.Rule == "key-policy" && e.File == "types.yaml" && (ptr == "/enums" || e.Line == line) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want types.yaml:%d: key-policy, got\n%v", line, ps)
			}
		})
	}
}
