package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

// generatedDir is features/generated, seen from this package.
const generatedDir = "../../../features/generated"

func loadSpec(t *testing.T) *model.Spec {
	t.Helper()
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGeneratedFeaturesAreFresh regenerates the scenarios in memory and
// fails when a committed file differs, is missing, or is left over.
func TestGeneratedFeaturesAreFresh(t *testing.T) {
	files, err := Generate(loadSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Name] = true
		got, err := os.ReadFile(filepath.Join(generatedDir, f.Name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./features)", f.Name, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("features/generated/%s is stale (run go generate ./features)", f.Name)
		}
		if !bytes.HasPrefix(f.Data, []byte(Header)) {
			t.Errorf("%s does not start with the generated-code header", f.Name)
		}
	}
	old, err := filepath.Glob(filepath.Join(generatedDir, "*.feature"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old {
		if !want[filepath.Base(p)] {
			t.Errorf("features/generated/%s is not generated from the spec any more (run go generate ./features)", filepath.Base(p))
		}
	}
}

// TestEveryRowHasAScenario checks the generator's promise: every row of
// every command's error table, every limit and every command a state
// refuses has a scenario (or a @not-mechanical one with a reason).
func TestEveryRowHasAScenario(t *testing.T) {
	s := loadSpec(t)
	files, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	text := map[string]string{}
	for _, f := range files {
		text[f.Name] = string(f.Data)
	}
	for _, c := range s.Commands {
		for _, r := range c.Errors {
			name := c.Name + " answers " + r.Status + " when " + sentence(r.When)
			if !strings.Contains(text["errors.feature"], "Scenario: "+name+"\n") {
				t.Errorf("no scenario %q", name)
			}
		}
	}
	for _, l := range s.Architecture.Limits {
		if !strings.Contains(text["limits.feature"], "The limit "+l.Name+" ") {
			t.Errorf("no scenario for the limit %s", l.Name)
		}
	}
	g := &gen{s: s}
	for i := range s.States {
		m := &s.States[i]
		for j := range m.States {
			for _, c := range g.refused(m, &m.States[j]) {
				if !strings.Contains(text["states.feature"], "| "+c.Name+" ") && !strings.Contains(text["states.feature"], " "+c.Name+",") &&
					!strings.Contains(text["states.feature"], " "+c.Name+" (") && !strings.Contains(text["states.feature"], " "+c.Name+".") {
					t.Errorf("%s %s: no scenario for %s", m.ID, m.States[j].Name, c.Name)
				}
			}
		}
	}
	for _, f := range files {
		n := 0
		for _, line := range strings.Split(string(f.Data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "@") && strings.Contains(line, " @not-mechanical") {
				n++
			}
		}
		if strings.Count(string(f.Data), "Not produced mechanically: ") != n {
			t.Errorf("%s: %d @not-mechanical scenarios, %d reasons", f.Name, n, strings.Count(string(f.Data), "Not produced mechanically: "))
		}
	}
}

// TestRowWithoutRecipeStops shows a new row of the spec cannot slip
// through: the generator refuses an error row, a common error, a limit
// or a refusing state it has no recipe for.
func TestRowWithoutRecipeStops(t *testing.T) {
	for name, mutate := range map[string]func(s *model.Spec){
		"error row": func(s *model.Spec) {
			c := s.Command("ListKeys")
			c.Errors = append(c.Errors, model.ErrorRow{Status: "KeyTagNotFound", When: "Never.", Requirements: []string{"IHSM-KEY-011"}})
		},
		"common error": func(s *model.Spec) {
			s.Wire.CommonErrors = append(s.Wire.CommonErrors, model.ErrorRow{Status: "RoleNotPermitted", When: "Never.", Requirements: []string{"IHSM-WIRE-013"}})
		},
		"limit": func(s *model.Spec) {
			s.Architecture.Limits = append(s.Architecture.Limits, model.Limit{Name: "max_widgets", Value: 3})
		},
		"state": func(s *model.Spec) {
			m := s.StateMachine("SM-PARTITION")
			m.States = append(m.States, model.State{Name: "Suspended", Allow: []string{"GetDeviceInfo"}, Reject: "DeviceNotOperational"})
		},
		"unknown requirement": func(s *model.Spec) {
			c := s.Command("DeleteKey")
			c.Errors[0].Requirements = []string{"IHSM-KEY-999"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := loadSpec(t)
			mutate(s)
			if _, err := Generate(s); err == nil {
				t.Fatal("Generate accepted a spec element it has no recipe for")
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "old.feature")
	if err := os.WriteFile(stale, []byte("Feature: old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-out", dir}, os.Stderr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a feature file the spec no longer generates was left behind: %v", err)
	}
	for _, n := range []string{"errors.feature", "states.feature", "limits.feature", "common-errors.feature", "field-limits.feature"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Error(err)
		}
	}
}
