package rc

import (
	"errors"
	"fmt"
)

// Code is a status code of the wire protocol (spec: status.yaml). It is the
// only thing about an error that crosses the wire: a response header carries
// it in its status field, never any text.
//
// Code implements error, so a device can return it and a client can test for
// it with errors.Is through any amount of wrapping:
//
//	if errors.Is(err, rc.KeyNotFound) { ... }
type Code uint32

var _ error = Code(0)

// Error returns the spec name and the hex code, e.g. "KeyNotFound
// (0x03000001)". A code the spec does not define is shown by number only.
func (c Code) Error() string {
	name, _, _, ok := lookup(c)
	if !ok {
		return fmt.Sprintf("status 0x%08X", uint32(c))
	}
	return fmt.Sprintf("%s (0x%08X)", name, uint32(c))
}

// String is Error: a Code prints the same in logs and in error chains.
func (c Code) String() string { return c.Error() }

// Is reports whether target is the same status code, so that errors.Is
// matches a Code wherever it sits in a chain of wrapped errors.
func (c Code) Is(target error) bool {
	t, ok := target.(Code)
	return ok && t == c
}

// Name returns the spec name of the code (its Go identifier in this
// package), or "" if the spec does not define it.
func (c Code) Name() string {
	name, _, _, _ := lookup(c)
	return name
}

// Category returns the spec category of the code (success, protocol,
// session, key, crypto, masking, device, ...), or "" if the spec does not
// define it.
func (c Code) Category() string {
	_, category, _, _ := lookup(c)
	return category
}

// Description returns the spec description of the code, or "" if the spec
// does not define it.
func (c Code) Description() string {
	_, _, description, _ := lookup(c)
	return description
}

// Defined reports whether the spec defines the code.
func (c Code) Defined() bool {
	_, _, _, ok := lookup(c)
	return ok
}

// FromError returns the status code a device answers for err: Success for
// nil, the first Code in err's chain, and InternalError when the chain holds
// none (an error the spec has no name for must not leak its text to the
// wire).
func FromError(err error) Code {
	if err == nil {
		return Success
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return InternalError
}
