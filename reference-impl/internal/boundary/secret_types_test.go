package boundary_test

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
)

// TestChangePinClearsPINs: ChangePin clears the PIN buffers it is given,
// on success and on failure.
func TestChangePinClearsPINs(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	s, _, _ := openSession(t, p, 1, pin)
	for _, tc := range []struct {
		name       string
		cur, next  []byte
		wantFailed bool
	}{
		{"wrong current PIN", []byte("not-the-pin-1"), []byte("new-pin-0001"), true},
		{"new PIN too short", bytes.Clone(pin), []byte("short"), true},
		{"success", bytes.Clone(pin), []byte("new-pin-0001"), false},
	} {
		err := s.ChangePin(tc.cur, tc.next)
		if (err != nil) != tc.wantFailed {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(tc.cur, make([]byte, len(tc.cur))) || !bytes.Equal(tc.next, make([]byte, len(tc.next))) {
			t.Errorf("%s: PIN bytes left in the caller's buffers", tc.name)
		}
	}
	s.Close()
	if _, _, err := openSession(t, p, 2, []byte("new-pin-0001")); err != nil {
		t.Fatalf("the new PIN does not open a session: %v", err)
	}
}

// TestBoundaryTypesAreSecret: the boundary's exported holders of secrets
// print as [REDACTED] and are not comparable with ==.
func TestBoundaryTypesAreSecret(t *testing.T) {
	e := newEnv(t, 1)
	p := part(t, e.m, 0)
	must[[16]byte](t)(establish(t, e.m, p, pin))
	_, ch, err := openSession(t, p, 1, pin)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{ch, *ch} {
		if out := fmt.Sprintf("%v %+v %#v %x", v, v, v, v); out != "[REDACTED] [REDACTED] [REDACTED] [REDACTED]" {
			t.Errorf("ChannelKeys formats as %q", out)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[boundary.ChannelKeys]()} {
		if typ.Comparable() {
			t.Errorf("%v is comparable with ==", typ)
		}
	}
}
