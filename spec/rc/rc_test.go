package rc_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

func TestIsThroughWrapping(t *testing.T) {
	err := fmt.Errorf("open key: %w", fmt.Errorf("lookup: %w", rc.KeyNotFound))
	if !errors.Is(err, rc.KeyNotFound) {
		t.Fatalf("errors.Is(%v, KeyNotFound) = false", err)
	}
	if errors.Is(err, rc.KeyLimitReached) {
		t.Fatalf("errors.Is(%v, KeyLimitReached) = true", err)
	}
	var c rc.Code
	if !errors.As(err, &c) || c != rc.KeyNotFound {
		t.Fatalf("errors.As gave %v", c)
	}
}

func TestRegistry(t *testing.T) {
	all := rc.All()
	if len(all) == 0 || all[0] != rc.Success || rc.Success != 0 {
		t.Fatalf("All() = %v, want Success (0) first", all)
	}
	codes, names := map[rc.Code]bool{}, map[string]bool{}
	for _, c := range all {
		if codes[c] || names[c.Name()] {
			t.Errorf("%v listed twice", c)
		}
		codes[c], names[c.Name()] = true, true
		if !c.Defined() || c.Name() == "" || c.Category() == "" || c.Description() == "" {
			t.Errorf("0x%08X: incomplete entry %q %q %q", uint32(c), c.Name(), c.Category(), c.Description())
		}
		if got, ok := rc.ByName(c.Name()); !ok || got != c {
			t.Errorf("ByName(%q) = %v, %v", c.Name(), got, ok)
		}
		if want := fmt.Sprintf("%s (0x%08X)", c.Name(), uint32(c)); c.Error() != want {
			t.Errorf("Error() = %q, want %q", c.Error(), want)
		}
	}
	if _, ok := rc.ByName("NoSuchStatus"); ok {
		t.Error("ByName accepted an unknown name")
	}
	unknown := rc.Code(0xFFFFFFFF)
	if unknown.Defined() || unknown.Name() != "" || unknown.Error() != "status 0xFFFFFFFF" {
		t.Errorf("unknown code: Defined %v, Name %q, Error %q", unknown.Defined(), unknown.Name(), unknown.Error())
	}
}

func TestFromError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want rc.Code
	}{
		{nil, rc.Success},
		{rc.FrameTooLarge, rc.FrameTooLarge},
		{fmt.Errorf("decode: %w", rc.DecodeFailed), rc.DecodeFailed},
		{errors.New("disk on fire"), rc.InternalError},
	} {
		if got := rc.FromError(tc.err); got != tc.want {
			t.Errorf("FromError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func ExampleCode() {
	err := fmt.Errorf("sign: %w", rc.KeyNotFound)
	fmt.Println(errors.Is(err, rc.KeyNotFound), rc.FromError(err).Name())
	// Output: true KeyNotFound
}
