package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestNoLeakThroughFormatting(t *testing.T) {
	s := New([]byte("super-secret-key-bytes"))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "super") || strings.Contains(out, "7375706572") {
			t.Errorf("%s leaked: %q", verb, out)
		}
	}
	// A Bytes value formats as redacted too.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		if out := fmt.Sprintf(verb, *s); strings.Contains(out, "super") || strings.Contains(out, "7375706572") {
			t.Errorf("value %s leaked: %q", verb, out)
		}
	}
	// A value (not pointer) inside a struct must not leak either.
	type holder struct{ K *Bytes }
	if out := fmt.Sprintf("%+v", holder{s}); strings.Contains(out, "super") {
		t.Errorf("struct leaked: %q", out)
	}
	j, err := json.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "super") || strings.Contains(string(j), "c3VwZXI") {
		t.Errorf("json leaked: %s", j)
	}
}

func TestEqualAndClear(t *testing.T) {
	a := New([]byte{1, 2, 3})
	b := New([]byte{1, 2, 3})
	c := New([]byte{1, 2, 4})
	if !a.Equal(b) || a.Equal(c) || a.Equal(New([]byte{1, 2})) {
		t.Fatal("Equal wrong")
	}
	if !a.EqualBytes([]byte{1, 2, 3}) {
		t.Fatal("EqualBytes wrong")
	}
	raw := []byte{9, 9, 9}
	d := Adopt(raw)
	d.Clear()
	if raw[0] != 0 || raw[1] != 0 || raw[2] != 0 || d.Len() != 0 {
		t.Fatalf("Clear left %v", raw)
	}
	var nilSecret *Bytes
	nilSecret.Clear()
	if nilSecret.Len() != 0 {
		t.Fatal("nil Len")
	}
	e := a.Clone()
	a.Clear()
	if !e.EqualBytes([]byte{1, 2, 3}) {
		t.Fatal("Clone not independent")
	}
}
