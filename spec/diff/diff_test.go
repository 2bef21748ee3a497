package diff

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec/model"
)

// loader returns a function that loads a fresh copy of a valid spec, so
// each case edits its own old and new versions.
type loader func(t *testing.T) *model.Spec

func minimalSpec(t *testing.T) *model.Spec {
	t.Helper()
	sc, err := realSchemas()
	if err != nil {
		t.Fatal(err)
	}
	s, err := sc.Load(os.DirFS(filepath.Join("..", "model", "testdata", "minimal")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// firstField returns the first request (or response) field of any command
// that satisfies ok.
func firstField(t *testing.T, s *model.Spec, request bool, ok func(*model.Field) bool) (*model.Command, *model.Field) {
	t.Helper()
	for i := range s.Commands {
		c := &s.Commands[i]
		fs := c.Response
		if request {
			fs = c.Request
		}
		for j := range fs {
			if ok(&fs[j]) {
				return c, &fs[j]
			}
		}
	}
	t.Fatal("no field matches")
	return nil, nil
}

func anyField(*model.Field) bool { return true }

type diffCase struct {
	name       string
	edit       func(t *testing.T, old, new *model.Spec)
	class      Class  // a change of this class must be reported ...
	where      string // ... whose element contains this text
	violations []string
}

// versioned is a case with given old and new spec versions. The other
// cases give the new spec the next minor version of the old one, which
// every change of a 0.x spec accepts, so they test the other rules alone.
type versioned struct {
	diffCase
	versions [2]string
}

var diffCases = []diffCase{

	{"renumbered command", func(t *testing.T, old, new *model.Spec) {
		new.Commands[0].Opcode = 0x7FFF
	}, Breaking, "command", []string{"breaking-without-major"}},
	{"renumbered command with a major bump", func(t *testing.T, old, new *model.Spec) {
		new.Commands[0].Opcode = 0x7FFF
		new.Meta.APIRevision = model.APIRevision{Major: old.Meta.APIRevision.Major + 1}
	}, Breaking, "command", nil},
	{"removed command", func(t *testing.T, old, new *model.Spec) {
		new.Commands = new.Commands[1:]
	}, Breaking, "command " + "", []string{"breaking-without-major"}},
	{"new command", func(t *testing.T, old, new *model.Spec) {
		c := new.Commands[0]
		c.Name, c.ID, c.Opcode = "Frobnicate", "CMD-FROB", 0x7FFE
		new.Commands = append(new.Commands, c)
	}, Additive, "command Frobnicate", nil},
	{"opcode taken over by a new command", func(t *testing.T, old, new *model.Spec) {
		new.Commands[0].Name = "Renamed"
	}, Breaking, "command Renamed", []string{"breaking-without-major"}},
	{"session rule changed", func(t *testing.T, old, new *model.Spec) {
		if new.Commands[0].Session == model.SessionIn {
			new.Commands[0].Session = model.SessionNone
		} else {
			new.Commands[0].Session = model.SessionIn
		}
	}, Breaking, "command", []string{"breaking-without-major"}},
	{"new optional request field", func(t *testing.T, old, new *model.Spec) {
		c := &new.Commands[0]
		c.Request = append(c.Request, model.Field{Key: 99, Name: "hint", Type: model.TypeU32, Optional: true, Doc: "A hint."})
	}, Additive, "request field hint", nil},
	{"new required request field", func(t *testing.T, old, new *model.Spec) {
		c := &new.Commands[0]
		c.Request = append(c.Request, model.Field{Key: 99, Name: "hint", Type: model.TypeU32, Doc: "A hint."})
	}, Breaking, "request field hint", []string{"breaking-without-major"}},
	{"new response field", func(t *testing.T, old, new *model.Spec) {
		c := &new.Commands[0]
		c.Response = append(c.Response, model.Field{Key: 99, Name: "extra", Type: model.TypeU32, Doc: "More."})
	}, Additive, "response field extra", nil},
	{"removed response field", func(t *testing.T, old, new *model.Spec) {
		c, _ := firstField(t, new, false, anyField)
		c.Response = c.Response[1:]
	}, Breaking, "response field", []string{"breaking-without-major"}},
	{"field key changed", func(t *testing.T, old, new *model.Spec) {
		_, f := firstField(t, new, true, anyField)
		f.Key = 200
	}, Breaking, "request field", []string{"breaking-without-major"}},
	{"field type changed", func(t *testing.T, old, new *model.Spec) {
		_, f := firstField(t, new, false, func(f *model.Field) bool { return f.Type != model.TypeU64 })
		*f = model.Field{Pos: f.Pos, Key: f.Key, Name: f.Name, Type: model.TypeU64, Optional: f.Optional, Doc: f.Doc}
	}, Breaking, "response field", []string{"breaking-without-major"}},
	{"optional request field made required", func(t *testing.T, old, new *model.Spec) {
		_, f := firstField(t, new, true, func(f *model.Field) bool { return f.Optional })
		f.Optional = false
	}, Breaking, "request field", []string{"breaking-without-major"}},
	{"size narrowed", func(t *testing.T, old, new *model.Spec) {
		_, f := firstField(t, new, true, func(f *model.Field) bool { return f.Size != nil && f.Size.Max > f.Size.Min })
		f.Size = &model.Range{Min: f.Size.Min, Max: f.Size.Max - 1}
	}, Breaking, "request field", []string{"breaking-without-major"}},
	{"size widened", func(t *testing.T, old, new *model.Spec) {
		_, f := firstField(t, new, true, func(f *model.Field) bool { return f.Size != nil })
		f.Size = &model.Range{Min: f.Size.Min, Max: f.Size.Max + 1}
	}, Additive, "request field", nil},
	{"status removed from the registry", func(t *testing.T, old, new *model.Spec) {
		new.Status = new.Status[:len(new.Status)-1]
	}, Breaking, "status", []string{"breaking-without-major"}},
	{"status code changed", func(t *testing.T, old, new *model.Spec) {
		new.Status[1].Code += 0x100
	}, Breaking, "status", []string{"breaking-without-major"}},
	{"status withdrawn", func(t *testing.T, old, new *model.Spec) {
		new.Status[1].Withdrawn = true
		new.Meta.APIRevision.Major++
	}, Breaking, "status", nil},
	{"withdrawn status revived", func(t *testing.T, old, new *model.Spec) {
		old.Status[1].Withdrawn = true
		new.Meta.APIRevision.Major++
	}, Breaking, "status", []string{"status-reused"}},
	{"common row scope changed", func(t *testing.T, old, new *model.Spec) {
		new.Wire.CommonErrors[0].Except = []string{new.Commands[0].Name}
	}, Breaking, "common errors", []string{"breaking-without-major"}},
	{"new status", func(t *testing.T, old, new *model.Spec) {
		new.Status = append(new.Status, model.Status{Code: 0x7F000001, Name: "Frobnicated", Category: "device", Description: "New."})
	}, Additive, "status Frobnicated", nil},
	{"enum value removed", func(t *testing.T, old, new *model.Spec) {
		e := &new.Types.Enums[0]
		e.Values = e.Values[1:]
	}, Breaking, "enum", []string{"breaking-without-major"}},
	{"new enum value", func(t *testing.T, old, new *model.Spec) {
		e := &new.Types.Enums[0]
		e.Values = append(e.Values, model.EnumValue{Value: 0x7FFF, Name: "Frob", Doc: "New."})
	}, Additive, "value Frob", nil},
	{"kind may do less", func(t *testing.T, old, new *model.Spec) {
		if new.Types.KeyPolicy == nil {
			new.Types.KeyPolicy = &model.KeyPolicy{Kinds: []model.KindPolicy{{Kind: "X", Usages: []string{"Sign"}}}}
			old.Types.KeyPolicy = &model.KeyPolicy{Kinds: []model.KindPolicy{{Kind: "X", Usages: []string{"Sign", "Verify"}}}}
			return
		}
		k := &new.Types.KeyPolicy.Kinds[0]
		k.Usages = k.Usages[1:]
	}, Breaking, "key policy", []string{"breaking-without-major"}},
	{"limit narrowed", func(t *testing.T, old, new *model.Spec) {
		new.Architecture.Limits[0].Value--
	}, Breaking, "limit", []string{"breaking-without-major"}},
	{"limit widened", func(t *testing.T, old, new *model.Spec) {
		new.Architecture.Limits[0].Value++
	}, Additive, "limit", nil},
	{"state rule tightened", func(t *testing.T, old, new *model.Spec) {
		for i := range new.States {
			for j := range new.States[i].States {
				if st := &new.States[i].States[j]; len(st.Allow) > 0 {
					st.Allow = nil
					return
				}
			}
		}
		t.Fatal("no state allows a command")
	}, Breaking, "state", []string{"breaking-without-major"}},
	{"transition removed", func(t *testing.T, old, new *model.Spec) {
		new.States[0].Transitions = new.States[0].Transitions[1:]
	}, Breaking, "transition", []string{"breaking-without-major"}},
	{"error row removed", func(t *testing.T, old, new *model.Spec) {
		for i := range new.Commands {
			if c := &new.Commands[i]; len(c.Errors) > 0 {
				c.Errors = c.Errors[1:]
				return
			}
		}
		t.Fatal("no command has error rows")
	}, Breaking, "errors", []string{"breaking-without-major"}},
	{"error row added", func(t *testing.T, old, new *model.Spec) {
		c := &new.Commands[0]
		c.Errors = append(c.Errors, model.ErrorRow{Status: "Frobnicated", When: "Frobbed."})
	}, Additive, "errors", nil},
	{"description edited", func(t *testing.T, old, new *model.Spec) {
		new.Commands[0].Summary += " Really."
	}, Editorial, "command", nil},
	{"requirement reworded", func(t *testing.T, old, new *model.Spec) {
		new.Requirements[0].Text += " (see the wire section)"
	}, Editorial, "requirement", nil},
	{"requirement level changed", func(t *testing.T, old, new *model.Spec) {
		r := &new.Requirements[0]
		if r.Level == model.LevelMust {
			r.Level = model.LevelShould
		} else {
			r.Level = model.LevelMust
		}
	}, Breaking, "requirement", []string{"breaking-without-major"}},
	{"requirement removed", func(t *testing.T, old, new *model.Spec) {
		new.Requirements = new.Requirements[1:]
		new.Meta.APIRevision.Major++
	}, Breaking, "requirement", []string{"requirement-removed"}},
	{"requirement withdrawn", func(t *testing.T, old, new *model.Spec) {
		new.Requirements[0].Withdrawn = true
		new.Meta.APIRevision.Major++
	}, Breaking, "requirement", nil},
	{"withdrawn requirement revived", func(t *testing.T, old, new *model.Spec) {
		old.Requirements[0].Withdrawn = true
		new.Meta.APIRevision.Major++
	}, Breaking, "requirement", []string{"requirement-reused"}},
	{"requirement id reused for another area", func(t *testing.T, old, new *model.Spec) {
		new.Requirements[0].Area = "ZZZ"
	}, Editorial, "", []string{"requirement-reused"}},
	{"requirement id reused for another statement", func(t *testing.T, old, new *model.Spec) {
		new.Requirements[0].Text = "Partitions are painted blue on alternate Tuesdays."
	}, Editorial, "requirement", []string{"requirement-reused"}},
	{"new requirement", func(t *testing.T, old, new *model.Spec) {
		r := new.Requirements[0]
		r.ID = "IHSM-ZZZ-999"
		new.Requirements = append(new.Requirements, r)
	}, Additive, "requirement IHSM-ZZZ-999", nil},
	{"api revision decreased", func(t *testing.T, old, new *model.Spec) {
		old.Meta.APIRevision.Major = new.Meta.APIRevision.Major + 1
	}, Editorial, "api_revision", []string{"revision-decreased"}},
	{"masked key layout changed", func(t *testing.T, old, new *model.Spec) {
		new.Architecture.MaskedKey.Fields[0].Size = "8"
	}, Breaking, "masked key", []string{"breaking-without-major"}},
}

// renumber is a breaking change that comes with a major API revision, so
// only the spec version decides.
func renumber(t *testing.T, old, new *model.Spec) {
	new.Commands[0].Opcode = 0x7FFF
	new.Meta.APIRevision = model.APIRevision{Major: old.Meta.APIRevision.Major + 1}
}

func addCommand(t *testing.T, old, new *model.Spec) {
	c := new.Commands[0]
	c.Name, c.ID, c.Opcode = "Frobnicate", "CMD-FROB", 0x7FFE
	new.Commands = append(new.Commands, c)
}

func editSummary(t *testing.T, old, new *model.Spec) {
	new.Commands[0].Summary += " Really."
}

// nextMinor returns the version after v that a 0.x breaking change needs.
func nextMinor(t *testing.T, v string) string {
	major, minor, _, ok := model.ParseSemver(v)
	if !ok {
		t.Fatalf("spec version %q", v)
	}
	return fmt.Sprintf("%d.%d.0", major, minor+1)
}

// semverCases check the spec version (semver, with the 0.x rule).
var semverCases = []versioned{
	{diffCase{"0.x breaking, version kept", renumber, Breaking, "command", []string{"version-not-bumped"}}, [2]string{"0.3.1", "0.3.1"}},
	{diffCase{"0.x breaking, patch bump", renumber, Breaking, "command", []string{"version-not-bumped"}}, [2]string{"0.3.1", "0.3.2"}},
	{diffCase{"0.x breaking, minor bump", renumber, Breaking, "command", nil}, [2]string{"0.3.1", "0.4.0"}},
	{diffCase{"0.x breaking, to 1.0.0", renumber, Breaking, "command", nil}, [2]string{"0.3.1", "1.0.0"}},
	{diffCase{"0.x additive, version kept", addCommand, Additive, "command Frobnicate", []string{"version-not-bumped"}}, [2]string{"0.3.1", "0.3.1"}},
	{diffCase{"0.x additive, patch bump", addCommand, Additive, "command Frobnicate", nil}, [2]string{"0.3.1", "0.3.2"}},
	{diffCase{"0.x editorial, version kept", editSummary, Editorial, "command", nil}, [2]string{"0.3.1", "0.3.1"}},
	{diffCase{"1.x breaking, minor bump", renumber, Breaking, "command", []string{"version-not-bumped"}}, [2]string{"1.2.0", "1.3.0"}},
	{diffCase{"1.x breaking, major bump", renumber, Breaking, "command", nil}, [2]string{"1.2.0", "2.0.0"}},
	{diffCase{"1.x additive, patch bump", addCommand, Additive, "command Frobnicate", []string{"version-not-bumped"}}, [2]string{"1.2.0", "1.2.1"}},
	{diffCase{"1.x additive, minor bump", addCommand, Additive, "command Frobnicate", nil}, [2]string{"1.2.0", "1.3.0"}},
	{diffCase{"1.x editorial, patch bump", editSummary, Editorial, "command", nil}, [2]string{"1.2.0", "1.2.1"}},
	{diffCase{"version decreased", editSummary, Editorial, "spec version", []string{"version-decreased"}}, [2]string{"1.2.0", "1.1.9"}},
	{diffCase{"pre-release suffix only", editSummary, Editorial, "spec version", nil}, [2]string{"1.2.0-rc.1", "1.2.0"}},
}

func testDiffCases(t *testing.T, load loader) {
	t.Run("unchanged", func(t *testing.T) {
		r := Diff(load(t), load(t))
		if len(r.Changes) != 0 || !r.OK() {
			t.Fatalf("an unchanged spec differs: %+v", r)
		}
	})
	cases := semverCases
	for _, tc := range diffCases {
		cases = append(cases, versioned{diffCase: tc})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, new := load(t), load(t)
			if tc.versions[0] != "" {
				old.Meta.Version, new.Meta.Version = tc.versions[0], tc.versions[1]
			} else {
				new.Meta.Version = nextMinor(t, old.Meta.Version)
			}
			tc.edit(t, old, new)
			r := Diff(old, new)
			t.Log("\n" + text(&r))
			found := slices.ContainsFunc(r.Changes, func(c Change) bool {
				return c.Class == tc.class && strings.Contains(c.Where, tc.where)
			})
			if !found {
				t.Errorf("no %s change at %q in:\n%s", tc.class, tc.where, text(&r))
			}
			var rules []string
			for _, v := range r.Violations {
				rules = append(rules, v.Rule)
			}
			slices.Sort(rules)
			if !slices.Equal(slices.Compact(rules), tc.violations) {
				t.Errorf("violations = %v, want %v\n%s", rules, tc.violations, text(&r))
			}
			if r.OK() != (len(tc.violations) == 0) {
				t.Errorf("OK() = %v with violations %v", r.OK(), rules)
			}
		})
	}
}

func text(r *Report) string {
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		return err.Error()
	}
	return b.String()
}

func TestDiffMinimal(t *testing.T) {
	testDiffCases(t, minimalSpec)
}

// TestJSONKeepsPositions: the -json report names the file and line of
// every change and violation, as the text report does.
func TestJSONKeepsPositions(t *testing.T) {
	old, new := minimalSpec(t), minimalSpec(t)
	new.Commands[0].Opcode = 0x7FFF
	r := Diff(old, new)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK      bool `json:"ok"`
		Changes []struct {
			Class, Where, File string
			Line               int
		} `json:"changes"`
		Violations []struct {
			Rule, File string
			Line       int
		} `json:"violations"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.OK || len(got.Changes) == 0 || len(got.Violations) == 0 {
		t.Fatalf("report %s", b)
	}
	c := new.Commands[0]
	if ch := got.Changes[0]; ch.Class != "breaking" || ch.File != c.Pos.File || ch.Line != c.Pos.Line {
		t.Errorf("change %+v, want breaking at %s:%d", ch, c.Pos.File, c.Pos.Line)
	}
	for _, v := range got.Violations {
		if v.File != new.Meta.Pos.File || v.Line != new.Meta.Pos.Line {
			t.Errorf("violation %+v, want %s:%d", v, new.Meta.Pos.File, new.Meta.Pos.Line)
		}
	}
}
