package model

import "slices"

// Command returns the command with the given Go name, or nil.
func (s *Spec) Command(name string) *Command {
	return find(s.Commands, func(c *Command) bool { return c.Name == name })
}

// CommandByOpcode returns the command with the given opcode, or nil.
func (s *Spec) CommandByOpcode(op uint16) *Command {
	return find(s.Commands, func(c *Command) bool { return c.Opcode == op })
}

// StatusByName returns the status with the given Go name, or nil.
func (s *Spec) StatusByName(name string) *Status {
	return find(s.Status, func(st *Status) bool { return st.Name == name })
}

// StatusByCode returns the status with the given code, or nil.
func (s *Spec) StatusByCode(code uint32) *Status {
	return find(s.Status, func(st *Status) bool { return st.Code == code })
}

// Requirement returns the requirement with the given id, withdrawn or not,
// or nil.
func (s *Spec) Requirement(id string) *Requirement {
	return find(s.Requirements, func(r *Requirement) bool { return r.ID == id })
}

// Enum returns the enumeration with the given name, or nil.
func (s *Spec) Enum(name string) *Enum {
	return find(s.Types.Enums, func(e *Enum) bool { return e.Name == name })
}

// Flags returns the bit set with the given name, or nil.
func (s *Spec) Flags(name string) *Flags {
	return find(s.Types.Flags, func(f *Flags) bool { return f.Name == name })
}

// KindPolicy returns the key policy entry of the KeyKind value named kind,
// or nil.
func (s *Spec) KindPolicy(kind string) *KindPolicy {
	if s.Types.KeyPolicy == nil {
		return nil
	}
	return find(s.Types.KeyPolicy.Kinds, func(k *KindPolicy) bool { return k.Kind == kind })
}

// Map returns the map of types.yaml with the given name, or nil.
func (s *Spec) Map(name string) *Map {
	return find(s.Types.Maps, func(m *Map) bool { return m.Name == name })
}

// Limit returns the device limit with the given name, or nil.
func (s *Spec) Limit(name string) *Limit {
	return find(s.Architecture.Limits, func(l *Limit) bool { return l.Name == name })
}

// StateMachine returns the state machine with the given id, or nil.
func (s *Spec) StateMachine(id string) *StateMachine {
	return find(s.States, func(m *StateMachine) bool { return m.ID == id })
}

// Role returns the operator role with the given name, or nil.
func (s *Spec) Role(name string) *Role {
	return find(s.Architecture.Roles, func(r *Role) bool { return r.Name == name })
}

// SelfTest returns the self-test with the given registry name, or nil.
func (s *Spec) SelfTest(name string) *SelfTest {
	return find(s.Architecture.SelfTests, func(t *SelfTest) bool { return t.Name == name })
}

// Profile returns the conformance profile with the given name, or nil.
func (s *Spec) Profile(name string) *Profile {
	return find(s.Meta.Profiles, func(p *Profile) bool { return p.Name == name })
}

// Feature returns the optional feature with the given name, or nil.
func (s *Spec) Feature(name string) *Feature {
	return find(s.Meta.Features, func(f *Feature) bool { return f.Name == name })
}

// EffectiveErrors returns the complete error table of c: its own rows, then
// the common rows of wire.yaml that apply to it. A common row applies when
// its filters admit c: its session rules (none means every rule), the
// commands it excepts, and whether it concerns only commands of an optional
// feature or only commands whose request has fields. A common row whose
// status is what a state of states.yaml answers the commands it refuses
// (DeviceTampered, SessionNeedsRenegotiation, ...) applies only when one of
// those states refuses c: a command every such state allows never gets it.
func (s *Spec) EffectiveErrors(c *Command) []ErrorRow {
	rows := slices.Clone(c.Errors)
	for _, r := range s.Wire.CommonErrors {
		if s.appliesTo(&r, c) {
			rows = append(rows, r)
		}
	}
	return rows
}

// Applies reports whether the common row r belongs to the effective error
// table of c (see EffectiveErrors).
func (s *Spec) Applies(r *ErrorRow, c *Command) bool { return s.appliesTo(r, c) }

func (s *Spec) appliesTo(r *ErrorRow, c *Command) bool {
	switch {
	case len(r.Sessions) > 0 && !slices.Contains(r.Sessions, c.Session),
		slices.Contains(r.Except, c.Name),
		r.Feature && c.Feature == "",
		r.WithFields && len(c.Request) == 0:
		return false
	}
	rejecting := false
	for _, m := range s.States {
		for _, st := range m.States {
			if st.Reject != r.Status {
				continue
			}
			rejecting = true
			if !st.Allows(c.Name) {
				return true
			}
		}
	}
	return !rejecting
}

// Allows reports whether the state accepts the named command.
func (st *State) Allows(command string) bool {
	return slices.Contains(st.Allow, "*") || slices.Contains(st.Allow, command)
}

// Unaddressed returns the common rows answered to no particular request
// (request_id 0 and opcode 0): a frame whose payload or header the device
// never read.
func (s *Spec) Unaddressed() []ErrorRow {
	var rows []ErrorRow
	for _, r := range s.Wire.CommonErrors {
		if r.Unaddressed {
			rows = append(rows, r)
		}
	}
	return rows
}

// State returns the state with the given name, or nil.
func (m *StateMachine) State(name string) *State {
	return find(m.States, func(st *State) bool { return st.Name == name })
}

// Lookup returns the field of a CBOR map with the given name, or nil.
func Lookup(fields []Field, name string) *Field {
	return find(fields, func(f *Field) bool { return f.Name == name })
}

func find[T any](items []T, match func(*T) bool) *T {
	for i := range items {
		if match(&items[i]) {
			return &items[i]
		}
	}
	return nil
}
