package model

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec/model/internal/spectest"
	"gopkg.in/yaml.v3"
)

// mutation is one small edit to a copy of a valid spec and the problem it
// must produce: the rule, and the file and element (a JSON Pointer) it must
// name.
type mutation struct {
	name string
	rule string
	edit func(c *spectest.Copy) (file, ptr string)
}

func commandWithErrors(c *spectest.Copy) (string, string) {
	return c.FirstWhere("commands", "commands", func(f, p string) bool {
		n := c.Lookup(f, p+"/errors")
		return n != nil && len(n.Content) > 0
	})
}

// bytesResponseField returns the first sized byte-string field of a
// command's response.
func bytesResponseField(c *spectest.Copy) (string, string) {
	var field string
	f, _ := c.FirstWhere("commands", "commands", func(f, p string) bool {
		n := c.Lookup(f, p+"/response")
		for i := 0; n != nil && i < len(n.Content); i++ {
			fp := p + "/response/" + strconv.Itoa(i)
			if c.Node(f, fp+"/type").Value == "bytes" && c.Lookup(f, fp+"/size") != nil {
				field = fp
				return true
			}
		}
		return false
	})
	return f, field
}

var mutations = []mutation{
	{"duplicate opcode", "unique-opcode", func(c *spectest.Copy) (string, string) {
		files := c.Files("commands")
		if len(files) < 2 {
			c.T.Fatal("the spec needs two command files")
		}
		op := c.Node(files[0], "/commands/0/opcode").Value
		c.Set(files[1], "/commands/0/opcode", op, "!!int")
		return files[1], "/commands/0/opcode"
	}},
	{"duplicate command name", "unique-command", func(c *spectest.Copy) (string, string) {
		files := c.Files("commands")
		first, second := files[0], files[1]
		// The duplicate is reported where it sorts later by opcode, so
		// rename the first command of the file whose opcode is higher.
		op := func(f string) string { return c.Node(f, "/commands/0/opcode").Value }
		if parseOpcode(op(first)) > parseOpcode(op(second)) {
			first, second = second, first
		}
		name := c.Node(first, "/commands/0/name").Value
		c.Set(second, "/commands/0/name", name, "!!str")
		return second, "/commands/0/name"
	}},
	{"dangling status code", "dangling-status", func(c *spectest.Copy) (string, string) {
		f, p := commandWithErrors(c)
		c.Set(f, p+"/errors/0/status", "NoSuchStatus", "!!str")
		return f, p + "/errors/0/status"
	}},
	{"duplicate status code", "unique-status-code", func(c *spectest.Copy) (string, string) {
		c.Set("status.yaml", "/status/2/code", c.Node("status.yaml", "/status/1/code").Value, "!!int")
		return "status.yaml", "/status/2"
	}},
	{"reused requirement id", "unique-requirement", func(c *spectest.Copy) (string, string) {
		f, p := c.FirstWhere("requirements", "requirements", func(f, p string) bool {
			return !strings.HasSuffix(p, "/0")
		})
		id := c.Node(f, "/requirements/0/id").Value
		c.Set(f, p+"/id", id, "!!str")
		return f, p
	}},
	{"schema violation: wrong type", "schema", func(c *spectest.Copy) (string, string) {
		f := c.Files("commands")[0]
		c.Set(f, "/commands/0/opcode", "abc", "!!str")
		return f, "/commands/0/opcode"
	}},
	{"schema violation: bad requirement id", "schema", func(c *spectest.Copy) (string, string) {
		f := c.Files("requirements")[0]
		c.Set(f, "/requirements/0/id", "IHSM-1", "!!str")
		return f, "/requirements/0/id"
	}},
	{"unknown field", "unknown-field", func(c *spectest.Copy) (string, string) {
		f := c.Files("commands")[0]
		c.AddKey(f, "/commands/0", "colour", "blue")
		return f, "/commands/0/colour"
	}},
	{"dangling requirement reference", "dangling-requirement", func(c *spectest.Copy) (string, string) {
		f := c.Files("commands")[0]
		c.Set(f, "/commands/0/requirements/0", "IHSM-ZZZ-999", "!!str")
		return f, "/commands/0/requirements/0"
	}},
	{"withdrawn requirement referenced", "withdrawn-requirement", func(c *spectest.Copy) (string, string) {
		f := c.Files("commands")[0]
		id := c.Node(f, "/commands/0/requirements/0").Value
		rf, rp := c.FirstWhere("requirements", "requirements", func(rf, rp string) bool {
			return c.Node(rf, rp+"/id").Value == id
		})
		c.AddKey(rf, rp, "withdrawn", "true")
		c.Node(rf, rp+"/withdrawn").Tag = "!!bool"
		return f, "/commands/0/requirements/0"
	}},
	{"state machine to an unknown state", "dangling-state", func(c *spectest.Copy) (string, string) {
		c.Set("states.yaml", "/state_machines/0/transitions/0/to", "Nowhere", "!!str")
		return "states.yaml", "/state_machines/0/transitions/0/to"
	}},
	{"state machine with an unknown initial state", "dangling-state", func(c *spectest.Copy) (string, string) {
		c.Set("states.yaml", "/state_machines/0/initial", "Nowhere", "!!str")
		return "states.yaml", "/state_machines/0/initial"
	}},
	{"transition on an unknown command", "dangling-command", func(c *spectest.Copy) (string, string) {
		const tr = "/state_machines/0/transitions/0"
		for _, k := range []string{"command", "event"} {
			if c.Lookup("states.yaml", tr+"/"+k) != nil {
				c.RemoveKey("states.yaml", tr, k)
			}
		}
		c.AddKey("states.yaml", tr, "command", "NoSuchCommand")
		return "states.yaml", "/state_machines/0/transitions/0/command"
	}},
	{"event forgotten in one state", "event-coverage", func(c *spectest.Copy) (string, string) {
		// A state that ignores an event no longer says so.
		for m := range c.Node("states.yaml", "/state_machines").Content {
			mp := "/state_machines/" + strconv.Itoa(m)
			for j := range c.Node("states.yaml", mp+"/states").Content {
				sp := mp + "/states/" + strconv.Itoa(j)
				if c.Lookup("states.yaml", sp+"/ignores") != nil {
					c.RemoveKey("states.yaml", sp, "ignores")
					return "states.yaml", sp
				}
			}
		}
		c.T.Fatal("no state ignores an event")
		return "", ""
	}},
	{"ignored event that does not exist", "dangling-event", func(c *spectest.Copy) (string, string) {
		if c.Lookup("states.yaml", "/state_machines/0/states/0/ignores") == nil {
			c.AddKey("states.yaml", "/state_machines/0/states/0", "ignores", "x")
			c.SetNode("states.yaml", "/state_machines/0/states/0/ignores", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "moonrise"}}})
		} else {
			c.Set("states.yaml", "/state_machines/0/states/0/ignores/0", "moonrise", "!!str")
		}
		return "states.yaml", "/state_machines/0/states/0"
	}},
	{"duplicate field key", "unique-field-key", func(c *spectest.Copy) (string, string) {
		f, p := c.FirstWhere("commands", "commands", func(f, p string) bool {
			n := c.Lookup(f, p+"/request")
			return n != nil && len(n.Content) >= 2
		})
		c.Set(f, p+"/request/1/key", c.Node(f, p+"/request/0/key").Value, "!!int")
		return f, p + "/request/1"
	}},
	{"unresolved enum type", "field-type", func(c *spectest.Copy) (string, string) {
		f, p := c.FirstWhere("commands", "commands", func(f, p string) bool {
			n := c.Lookup(f, p+"/request/0/enum")
			return n != nil
		})
		c.Set(f, p+"/request/0/enum", "NoSuchEnum", "!!str")
		return f, p + "/request/0"
	}},
	{"envelope map naming no map", "field-type", func(c *spectest.Copy) (string, string) {
		c.Set("wire.yaml", "/envelope/0/map", "trailer", "!!str")
		return "wire.yaml", "/envelope/0"
	}},
	{"map field in a command", "field-type", func(c *spectest.Copy) (string, string) {
		f, p := c.FirstWhere("commands", "commands", func(f, p string) bool {
			n := c.Lookup(f, p+"/request")
			return n != nil && len(n.Content) > 0 && c.Lookup(f, p+"/request/0/size") == nil
		})
		c.Set(f, p+"/request/0/type", "map", "!!str")
		c.AddKey(f, p+"/request/0", "map", "body")
		return f, p + "/request/0"
	}},
	{"status nothing returns", "unreferenced-status", func(c *spectest.Copy) (string, string) {
		ptr := c.Append("status.yaml", "/status", "status.yaml", "/status/1")
		c.Set("status.yaml", ptr+"/code", "0x7F000001", "!!int")
		c.Set("status.yaml", ptr+"/name", "Frobnicated", "!!str")
		return "status.yaml", ptr
	}},
	{"withdrawn status in a table", "withdrawn-status", func(c *spectest.Copy) (string, string) {
		f, p := commandWithErrors(c)
		st := c.Node(f, p+"/errors/0/status").Value
		sp := ""
		for i, n := range c.Node("status.yaml", "/status").Content {
			if len(n.Content) > 0 && c.Node("status.yaml", "/status/"+strconv.Itoa(i)+"/name").Value == st {
				sp = "/status/" + strconv.Itoa(i)
			}
		}
		if sp == "" {
			c.T.Fatalf("status %s is not in the registry", st)
		}
		if c.Lookup("status.yaml", sp+"/withdrawn") == nil {
			c.AddKey("status.yaml", sp, "withdrawn", "true")
		}
		c.Node("status.yaml", sp+"/withdrawn").Tag = "!!bool"
		return f, p + "/errors/0/status"
	}},
	{"state rejection without a common row", "state-reject-row", func(c *spectest.Copy) (string, string) {
		f, p := "states.yaml", "/state_machines/0"
		for i := range c.Node(f, p+"/states").Content {
			sp := p + "/states/" + strconv.Itoa(i)
			if c.Lookup(f, sp+"/reject") != nil {
				c.Set(f, sp+"/reject", "KeyLimitReached", "!!str")
				return f, sp
			}
		}
		c.T.Fatal("no state rejects")
		return "", ""
	}},
	{"common filter on a command row", "common-filter", func(c *spectest.Copy) (string, string) {
		f, p := commandWithErrors(c)
		c.AddKey(f, p+"/errors/0", "unaddressed", "true")
		c.Node(f, p+"/errors/0/unaddressed").Tag = "!!bool"
		return f, p + "/errors/0"
	}},
	{"command without a session for the user role only", "role-session", func(c *spectest.Copy) (string, string) {
		f, p := c.FirstWhere("commands", "commands", func(f, p string) bool {
			return c.Node(f, p+"/session").Value == "none"
		})
		c.Set(f, p+"/roles/0", "user", "!!str")
		return f, p + "/roles"
	}},
	{"example that does not fit its field", "field-example", func(c *spectest.Copy) (string, string) {
		f, p := bytesResponseField(c)
		if c.Lookup(f, p+"/example") != nil {
			c.RemoveKey(f, p, "example")
		}
		c.AddKey(f, p, "example", "not hex")
		return f, p
	}},
	{"COSE_Sign1 of no map", "field-type", func(c *spectest.Copy) (string, string) {
		f, p := bytesResponseField(c)
		if c.Lookup(f, p+"/cose_sign1") != nil {
			c.RemoveKey(f, p, "cose_sign1")
		}
		c.AddKey(f, p, "cose_sign1", "NoSuchPayload")
		return f, p
	}},
	{"field larger than a frame", "frame-size", func(c *spectest.Copy) (string, string) {
		f, p := bytesResponseField(c)
		c.Set(f, p+"/size/max", "70000", "!!int")
		c.Set("wire.yaml", "/framing/max_frame", "65536", "!!int")
		return f, p
	}},
	{"unknown role", "dangling-role", func(c *spectest.Copy) (string, string) {
		f := c.Files("commands")[0]
		c.Set(f, "/commands/0/roles/0", "janitor", "!!str")
		return f, "/commands/0/roles/0"
	}},
	{"invalid semver", "schema", func(c *spectest.Copy) (string, string) {
		c.Set("spec.yaml", "/version", "1.0", "!!str")
		return "spec.yaml", "/version"
	}},
	{"yaml syntax error", "yaml", func(c *spectest.Copy) (string, string) {
		c.WriteFile("states.yaml", []byte("state_machines: [\n"))
		return "states.yaml", ""
	}},
	{"missing file", "missing-file", func(c *spectest.Copy) (string, string) {
		c.Remove("status.yaml")
		return "status.yaml", ""
	}},
	{"unknown file", "unknown-file", func(c *spectest.Copy) (string, string) {
		c.WriteFile("extra.yaml", []byte("a: 1\n"))
		return "extra.yaml", ""
	}},
}

// testMutations applies every mutation to a fresh copy of base and checks
// that loading reports the expected rule at the expected file and line.
func testMutations(t *testing.T, base func(t *testing.T) *spectest.Copy) {
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			c := base(t)
			file, ptr := m.edit(c)
			c.Write()
			line := 0
			if ptr != "" {
				line = c.Line(file, ptr)
			}
			_, err := LoadDir(c.Dir)
			if err == nil {
				t.Fatal("the broken spec loaded without error")
			}
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("error is %T, not Problems: %v", err, err)
			}
			t.Log(ps)
			if line == 0 {
				for _, e := range ps {
					if e.File == file && e.Rule == m.rule {
						return
					}
				}
				t.Fatalf("want %s: %s; got\n%v", file, m.rule, ps)
			}
			if !hasProblem(ps, file, line, m.rule) {
				t.Fatalf("want %s:%d: %s; got\n%v", file, line, m.rule, ps)
			}
		})
	}
}

func hasProblem(ps Problems, file string, line int, rule string) bool {
	return slices.ContainsFunc(ps, func(e *LintError) bool {
		return e.File == file && e.Line == line && e.Rule == rule
	})
}

func minimalCopy(t *testing.T) *spectest.Copy {
	c := spectest.New(t, os.DirFS(filepath.Join("testdata", "minimal")))
	c.CopyFrom("schema", os.DirFS(filepath.Join("..", "schema")))
	return c
}

func TestMinimalLoads(t *testing.T) {
	s, err := LoadDir(minimalCopy(t).Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Commands) != 2 || s.Commands[0].Opcode != 0x0101 || s.Commands[1].Name != "GenerateKey" {
		t.Errorf("commands not loaded in opcode order: %+v", s.Commands)
	}
	if got := s.Commands[0].Area; got != "device" {
		t.Errorf("area of GetApiRevision = %q, want the file name device", got)
	}
	gk := s.Command("GenerateKey")
	if gk == nil || gk.Pos.File != "commands/keys.yaml" || gk.Pos.Line != 2 || gk.Pos.Key("opcode").Line != 4 {
		t.Errorf("GenerateKey position = %+v", gk)
	}
	if f := Lookup(gk.Request, "label"); f == nil || f.Pos.Line != 12 || f.Size == nil || f.Size.Max != 64 {
		t.Errorf("label field = %+v", f)
	}
	if got := len(s.EffectiveErrors(gk)); got != 3 {
		t.Errorf("GenerateKey effective errors = %d rows, want own 1 + common 2", got)
	}
	if got := len(s.EffectiveErrors(s.Command("GetApiRevision"))); got != 1 {
		t.Errorf("GetApiRevision effective errors = %d rows, want the one common row for every session rule", got)
	}
	if s.Limit("max_keys") == nil || s.Limit("max_keys").Value != 256 {
		t.Errorf("limit max_keys = %+v", s.Limit("max_keys"))
	}
	if s.Architecture.MaskedKey.Fields[0].Size != "4" {
		t.Errorf("a plain YAML number in a text field reads as its text: %+v", s.Architecture.MaskedKey.Fields[0])
	}
	if r := s.Requirement("IHSM-DEV-002"); r == nil || !r.Withdrawn {
		t.Errorf("withdrawn requirement = %+v", r)
	}
}

func TestMinimalMutations(t *testing.T) {
	testMutations(t, minimalCopy)
}

// parseOpcode reads an opcode as written in the YAML (hex or decimal).
func parseOpcode(v string) uint64 {
	n, err := strconv.ParseUint(v, 0, 16)
	if err != nil {
		return 0
	}
	return n
}
