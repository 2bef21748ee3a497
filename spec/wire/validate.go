package wire

import (
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
)

// The checks generated Validate methods call. Every failure wraps
// rc.InvalidArgument and names the message and the field by its spec name,
// so a device can answer the status and a log can say why.

func checkLen(msg, field string, n int, min, max uint64) error {
	if uint64(n) < min || uint64(n) > max {
		return fmt.Errorf("wire: %s: %s: length %d not in [%d, %d]: %w", msg, field, n, min, max, rc.InvalidArgument)
	}
	return nil
}

func checkItemLen(msg, field string, i, n int, min, max uint64) error {
	if uint64(n) < min || uint64(n) > max {
		return fmt.Errorf("wire: %s: %s[%d]: length %d not in [%d, %d]: %w", msg, field, i, n, min, max, rc.InvalidArgument)
	}
	return nil
}

func checkRange(msg, field string, v, min, max uint64) error {
	if v < min || v > max {
		return fmt.Errorf("wire: %s: %s: %d not in [%d, %d]: %w", msg, field, v, min, max, rc.InvalidArgument)
	}
	return nil
}

// definedValue is a generated enum or flags type.
type definedValue interface {
	Defined() bool
	String() string
}

func checkEnum(msg, field string, v definedValue) error {
	if !v.Defined() {
		return fmt.Errorf("wire: %s: %s: %s is not in the spec: %w", msg, field, v, rc.InvalidArgument)
	}
	return nil
}

func checkFlags(msg, field string, v definedValue) error {
	if !v.Defined() {
		return fmt.Errorf("wire: %s: %s: %s has bits the spec does not define: %w", msg, field, v, rc.InvalidArgument)
	}
	return nil
}
