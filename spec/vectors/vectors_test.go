package vectors_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec/vectors"
)

// The decoding of each vector is tested in spec/wire (TestVectors); here
// the set itself: it loads, names are unique, every entry is complete, and
// every command has a request and a success response.
func TestAll(t *testing.T) {
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, v := range all {
		have[v.Name] = true
		if v.Command == "" || v.Expect == "" || (v.Direction != "request" && v.Direction != "response") {
			t.Errorf("%s: incomplete entry %+v", v.Name, v)
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
	}
	for _, v := range all {
		if strings.HasPrefix(v.Name, "malformed/") || strings.HasPrefix(v.Name, "common/") {
			continue
		}
		for _, want := range []string{v.Command + "/request", v.Command + "/response"} {
			if !have[want] {
				t.Errorf("command %s has no vector %s", v.Command, want)
			}
		}
	}
}
