package vectors_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/vectors"
)

// The decoding of each vector is tested in spec/wire (TestVectors); here
// the set itself: it loads, names are unique, every entry is complete and
// names a command of the spec, every command of the spec has a request, a
// success response and an error response, and every common error row of
// wire.yaml has a vector.
func TestAll(t *testing.T) {
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	errs := map[string]int{}
	for _, v := range all {
		have[v.Name] = true
		if v.Expect == "" || (v.Direction != "request" && v.Direction != "response") {
			t.Errorf("%s: incomplete entry %+v", v.Name, v)
		}
		switch c := s.Command(v.Command); {
		case v.Command == "" && v.Opcode == 0 && strings.HasPrefix(v.Name, "common/unaddressed-"):
		case c == nil:
			t.Errorf("%s: command %q is not in the spec", v.Name, v.Command)
		case c.Opcode != v.Opcode:
			t.Errorf("%s: opcode 0x%04X, %s has 0x%04X", v.Name, v.Opcode, c.Name, c.Opcode)
		}
		if _, err := v.Frame(); err != nil {
			t.Errorf("%s: frame_hex: %v", v.Name, err)
		}
		if v.Channel != nil {
			if a, b, err := v.Channel.Keys(); err != nil || len(a) != 32 || len(b) != 32 {
				t.Errorf("%s: channel keys: %v", v.Name, err)
			}
		}
		if !strings.HasPrefix(v.Name, "malformed/") && !json.Valid(v.Decoded) {
			t.Errorf("%s: no decoded form", v.Name)
		}
		if strings.HasPrefix(v.Name, v.Command+"/error-") {
			errs[v.Command]++
		}
		if v.Direction == "response" && !possible(s, v) {
			t.Errorf("%s: %s is a response no device gives: not in the effective error table of %q (or, for opcode 0, no unaddressed row)", v.Name, v.Expect, v.Command)
		}
	}
	for _, c := range s.Commands {
		for _, want := range []string{c.Name + "/request", c.Name + "/response"} {
			if !have[want] {
				t.Errorf("command %s has no vector %s", c.Name, want)
			}
		}
		if errs[c.Name] == 0 {
			t.Errorf("command %s has no error vector", c.Name)
		}
		for _, r := range c.Errors {
			if !have[c.Name+"/error-"+r.Status] {
				t.Errorf("command %s has no vector of its row %s", c.Name, r.Status)
			}
		}
	}
	for _, r := range s.Wire.CommonErrors {
		name := "common/error-" + r.Status
		if r.Unaddressed {
			name = "common/unaddressed-" + r.Status
		}
		if !have[name] {
			t.Errorf("common row %s has no vector %s", r.Status, name)
		}
	}
}

// possible reports whether a response vector's status is one a device can
// answer: Success or a row of the command's effective table answered to
// the request, or an unaddressed row for a response with opcode 0.
func possible(s *model.Spec, v vectors.Vector) bool {
	if v.Opcode == 0 {
		for _, r := range s.Unaddressed() {
			if r.Status == v.Expect {
				return true
			}
		}
		return false
	}
	c := s.Command(v.Command)
	if c == nil {
		return false
	}
	if v.Expect == "Success" {
		return true
	}
	for _, r := range s.EffectiveErrors(c) {
		if r.Status == v.Expect && !r.Unaddressed {
			return true
		}
	}
	return false
}
