//go:build !ihsmfaults

package device

import (
	"errors"
	"testing"
)

// TestNoFaultInjection shows that a build without the ihsmfaults tag, the
// production build, cannot start a faulty device.
func TestNoFaultInjection(t *testing.T) {
	if FaultInjection {
		t.Fatal("a build without the ihsmfaults tag has fault injection")
	}
	for f := Fault(1); f < faultEnd; f++ {
		if _, err := New(Config{Faults: []Fault{f}}); !errors.Is(err, ErrNoFaultInjection) {
			t.Errorf("fault %d: New gave %v, want ErrNoFaultInjection", f, err)
		}
		if faultSet(1 << f).has(f) {
			t.Errorf("fault %d is active in a build without fault injection", f)
		}
	}
}
