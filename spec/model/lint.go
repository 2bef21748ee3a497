package model

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Lint checks the rules of the spec that a JSON Schema cannot express: that
// names and numbers are unique, that every reference resolves, and that each
// command's contract is complete. Load runs it; it is exported for specs
// built or edited in memory. Each problem names a rule:
//
//   - semver: Meta.Version or a requirement's since is not a semantic version,
//     or since is later than the spec version.
//   - unique-profile, unique-feature, dangling-profile, dangling-feature.
//   - unique-type, unique-enum-value, unique-bit: enum and flags names are
//     unique across types.yaml; values and names unique within one type.
//   - key-policy: the key policy has one entry per KeyKind value, names
//     only KeyUsage bits and Algorithm values, and every algorithm fits
//     some kind.
//   - unique-status-code, unique-status-name, status-success: the registry
//     is a bijection and has Success = 0.
//   - unique-field-key, unique-field-name, field-type, field-size,
//     field-range: every CBOR map (envelope, headers, requests, responses)
//     has unique keys and names; enum, flags and list item types resolve;
//     every bytes, text and list field is bounded; a cose_sign1 names a
//     map of types.yaml; field-example: an example fits its field;
//     frame-size: no byte or text string is larger than max_frame.
//   - unique-opcode, unique-command, unique-command-id, session-rule,
//     dangling-role, dangling-status, error-success, unique-error-row,
//     common-filter, role-session, no-errors, no-requirements.
//   - unreferenced-status: every status of the registry but Success and
//     the withdrawn ones is returned by some error row or state, so the
//     tables are exhaustive; withdrawn-status: no row or state names a
//     withdrawn status; state-reject-row: the status a state refuses
//     commands with is a common error row, so it shows in every effective
//     table it belongs to.
//   - dangling-requirement, withdrawn-requirement: every requirement id
//     referenced exists and is not withdrawn.
//   - unique-requirement, requirement-area, requirement-level,
//     requirement-tested, dangling-command.
//   - unique-state-machine, unique-state, dangling-state,
//     transition-trigger, unreachable-state, terminal-transition.
//   - event-coverage: an event that moves a machine out of one state is
//     handled in every other state that is not terminal: by a transition
//     from it, or by naming it in the state's ignores; dangling-event: a
//     state ignores an event no transition of its machine has, or one it
//     also leaves on. So a signal such as tamper or zeroize-all cannot be
//     forgotten in one state.
//   - unique-role, unique-service, service-coverage, unique-key-entry,
//     dangling-key-entry, unique-algorithm, unique-self-test,
//     dangling-self-test, unique-limit, limit-mismatch, unique-port.
//
// The error table rule (no-errors): a command lists the statuses it returns
// beyond the common rows of wire.yaml in its own errors list. The list may
// be empty, which states that the command fails only in the ways every
// command of its session rule fails; but the effective table (own rows plus
// applicable common rows) must never be empty, so every command has a
// documented failure contract.
func Lint(s *Spec) Problems {
	l := &linter{s: s}
	l.meta()
	l.types()
	l.status()
	l.roles()
	l.requirements()
	l.wire()
	l.commands()
	l.states()
	l.architecture()
	l.statusUse()
	l.ps.list.sort()
	return l.ps.list
}

type linter struct {
	s  *Spec
	ps problems
}

var semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// ParseSemver returns the major, minor and patch numbers of a semantic
// version (semver.org §2), ignoring a pre-release suffix.
func ParseSemver(v string) (major, minor, patch int, ok bool) {
	m := semverRE.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, 0, false
	}
	var err [3]error
	major, err[0] = strconv.Atoi(m[1])
	minor, err[1] = strconv.Atoi(m[2])
	patch, err[2] = strconv.Atoi(m[3])
	return major, minor, patch, err[0] == nil && err[1] == nil && err[2] == nil
}

// compareSemver orders two valid versions by major, minor, patch.
func compareSemver(a, b string) int {
	a1, a2, a3, _ := ParseSemver(a)
	b1, b2, b3, _ := ParseSemver(b)
	for _, d := range []int{a1 - b1, a2 - b2, a3 - b3} {
		if d != 0 {
			return d
		}
	}
	return 0
}

// unique reports the second and later elements with the same key.
func unique[T any](l *linter, rule, what string, items []T, key func(*T) (string, Pos)) {
	first := map[string]Pos{}
	for i := range items {
		k, pos := key(&items[i])
		if prev, dup := first[k]; dup {
			l.ps.at(pos, rule, "%s %s is already defined at %s", what, k, prev.place())
			continue
		}
		first[k] = pos
	}
}

func (p Pos) place() string {
	if p.File == "" {
		return "spec"
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func (l *linter) meta() {
	m := &l.s.Meta
	if _, _, _, ok := ParseSemver(m.Version); !ok {
		l.ps.at(m.Pos.Key("version"), "semver", "version %q is not a semantic version", m.Version)
	}
	unique(l, "unique-profile", "profile", m.Profiles, func(p *Profile) (string, Pos) { return p.Name, p.Pos })
	unique(l, "unique-feature", "feature", m.Features, func(f *Feature) (string, Pos) { return f.Name, f.Pos })
	for _, f := range m.Features {
		if l.s.Profile(f.Profile) == nil {
			l.ps.at(f.Pos.Key("profile"), "dangling-profile", "feature %s belongs to unknown profile %q", f.Name, f.Profile)
		}
	}
	for _, p := range m.Profiles {
		for i, f := range p.Mandatory {
			l.feature(p.Pos.Item("mandatory_features", i), "profile "+p.Name, f)
		}
	}
}

// keyPolicy checks the key usage policy of types.yaml: one entry per
// KeyKind value, naming KeyUsage bits and Algorithm values, and every
// algorithm fitting some kind.
func (l *linter) keyPolicy() {
	kp := l.s.Types.KeyPolicy
	if kp == nil {
		return
	}
	kinds, usage, algs := l.s.Enum(KeyKindEnum), l.s.Flags(KeyUsageFlags), l.s.Enum(AlgorithmEnum)
	if kinds == nil || usage == nil || algs == nil {
		l.ps.at(kp.Pos, "key-policy", "the key policy needs the types %s, %s and %s", KeyKindEnum, KeyUsageFlags, AlgorithmEnum)
		return
	}
	hasBit := func(n string) bool { return slices.ContainsFunc(usage.Bits, func(b Bit) bool { return b.Name == n }) }
	hasValue := func(e *Enum, n string) bool {
		return slices.ContainsFunc(e.Values, func(v EnumValue) bool { return v.Name == n })
	}
	for _, u := range kp.AllKinds {
		if !hasBit(u) {
			l.ps.at(kp.Pos, "key-policy", "key policy all_kinds: %q is no bit of %s", u, KeyUsageFlags)
		}
	}
	unique(l, "key-policy", "key policy of kind", kp.Kinds, func(k *KindPolicy) (string, Pos) { return k.Kind, k.Pos })
	fitted := map[string]bool{}
	for _, k := range kp.Kinds {
		if !hasValue(kinds, k.Kind) {
			l.ps.at(k.Pos, "key-policy", "key policy: %q is no value of %s", k.Kind, KeyKindEnum)
		}
		for _, u := range k.Usages {
			if !hasBit(u) {
				l.ps.at(k.Pos, "key-policy", "key policy of %s: usage %q is no bit of %s", k.Kind, u, KeyUsageFlags)
			}
		}
		for _, a := range k.Algorithms {
			fitted[a] = true
			if !hasValue(algs, a) {
				l.ps.at(k.Pos, "key-policy", "key policy of %s: algorithm %q is no value of %s", k.Kind, a, AlgorithmEnum)
			}
		}
	}
	for _, v := range kinds.Values {
		if l.s.KindPolicy(v.Name) == nil {
			l.ps.at(kp.Pos, "key-policy", "key policy has no entry for kind %s", v.Name)
		}
	}
	for _, v := range algs.Values {
		if !fitted[v.Name] {
			l.ps.at(v.Pos, "key-policy", "algorithm %s fits no kind of the key policy", v.Name)
		}
	}
}

func (l *linter) feature(pos Pos, who, name string) {
	if name != "" && l.s.Feature(name) == nil {
		l.ps.at(pos, "dangling-feature", "%s names unknown feature %q", who, name)
	}
}

func (l *linter) types() {
	t := &l.s.Types
	seen := map[string]Pos{}
	for _, e := range t.Enums {
		if prev, dup := seen[e.Name]; dup {
			l.ps.at(e.Pos, "unique-type", "type %s is already defined at %s", e.Name, prev.place())
		}
		seen[e.Name] = e.Pos
		unique(l, "unique-enum-value", e.Name+" value", e.Values, func(v *EnumValue) (string, Pos) { return strconv.FormatUint(uint64(v.Value), 10), v.Pos })
		unique(l, "unique-enum-value", e.Name+" name", e.Values, func(v *EnumValue) (string, Pos) { return v.Name, v.Pos })
		for _, v := range e.Values {
			l.feature(v.Pos.Key("feature"), e.Name+"."+v.Name, v.Feature)
		}
	}
	l.keyPolicy()
	for _, m := range t.Maps {
		if prev, dup := seen[m.Name]; dup {
			l.ps.at(m.Pos, "unique-type", "type %s is already defined at %s", m.Name, prev.place())
		}
		seen[m.Name] = m.Pos
	}
	for _, f := range t.Flags {
		if prev, dup := seen[f.Name]; dup {
			l.ps.at(f.Pos, "unique-type", "type %s is already defined at %s", f.Name, prev.place())
		}
		seen[f.Name] = f.Pos
		unique(l, "unique-bit", f.Name+" bit", f.Bits, func(b *Bit) (string, Pos) { return strconv.Itoa(b.Bit), b.Pos })
		unique(l, "unique-bit", f.Name+" name", f.Bits, func(b *Bit) (string, Pos) { return b.Name, b.Pos })
		for _, b := range f.Bits {
			if b.Bit < 0 || b.Bit > 31 {
				l.ps.at(b.Pos, "field-range", "%s.%s: bit %d does not fit a u32", f.Name, b.Name, b.Bit)
			}
		}
	}
}

func (l *linter) status() {
	unique(l, "unique-status-code", "status code", l.s.Status, func(s *Status) (string, Pos) { return fmt.Sprintf("0x%08X", s.Code), s.Pos })
	unique(l, "unique-status-name", "status", l.s.Status, func(s *Status) (string, Pos) { return s.Name, s.Pos })
	if s := l.s.StatusByName("Success"); s == nil || s.Code != 0 {
		l.ps.at(Pos{File: "status.yaml"}, "status-success", "the registry must define Success with code 0")
	}
}

func (l *linter) statusRef(pos Pos, who, name string) {
	switch st := l.s.StatusByName(name); {
	case st == nil:
		l.ps.at(pos, "dangling-status", "%s names unknown status %q", who, name)
	case st.Withdrawn:
		l.ps.at(pos, "withdrawn-status", "%s names withdrawn status %s", who, name)
	}
}

// statusUse checks that the error tables are exhaustive: every status of
// the registry a device may send is named by a row or a state, and every
// state rejection is a common row.
func (l *linter) statusUse() {
	used := map[string]bool{"Success": true}
	for _, r := range l.s.Wire.CommonErrors {
		used[r.Status] = true
	}
	for _, c := range l.s.Commands {
		for _, r := range c.Errors {
			used[r.Status] = true
		}
	}
	for _, m := range l.s.States {
		for _, st := range m.States {
			if st.Reject == "" {
				continue
			}
			used[st.Reject] = true
			if !slices.ContainsFunc(l.s.Wire.CommonErrors, func(r ErrorRow) bool { return r.Status == st.Reject }) {
				l.ps.at(st.Pos, "state-reject-row", "state machine %s state %s rejects with %s, which is no row of wire.yaml common_errors", m.ID, st.Name, st.Reject)
			}
		}
	}
	for _, st := range l.s.Status {
		if !st.Withdrawn && !used[st.Name] {
			l.ps.at(st.Pos, "unreferenced-status", "status %s is returned by no error row and no state: add it to the tables that return it, or mark it withdrawn", st.Name)
		}
	}
}

func (l *linter) roles() {
	unique(l, "unique-role", "role", l.s.Architecture.Roles, func(r *Role) (string, Pos) { return r.Name, r.Pos })
}

func (l *linter) roleRef(pos Pos, who, name string) {
	if l.s.Role(name) == nil {
		l.ps.at(pos, "dangling-role", "%s names unknown role %q", who, name)
	}
}

func (l *linter) requirements() {
	unique(l, "unique-requirement", "requirement", l.s.Requirements, func(r *Requirement) (string, Pos) { return r.ID, r.Pos })
	for _, r := range l.s.Requirements {
		parts := strings.Split(r.ID, "-")
		if len(parts) != 3 || parts[0] != "IHSM" || parts[1] != r.Area {
			l.ps.at(r.Pos.Key("area"), "requirement-area", "requirement %s: id must be IHSM-%s-NNN for area %s", r.ID, r.Area, r.Area)
		}
		if !slices.Contains([]string{LevelMust, LevelShould, LevelMay}, r.Level) {
			l.ps.at(r.Pos.Key("level"), "requirement-level", "requirement %s: level %q is not MUST, SHOULD or MAY", r.ID, r.Level)
		}
		if !slices.Contains([]string{TestedByWire, TestedByControl, TestedByReview}, r.Tested) {
			l.ps.at(r.Pos.Key("tested"), "requirement-tested", "requirement %s: tested %q is not wire, control or review", r.ID, r.Tested)
		}
		if l.s.Profile(r.Profile) == nil {
			l.ps.at(r.Pos.Key("profile"), "dangling-profile", "requirement %s belongs to unknown profile %q", r.ID, r.Profile)
		}
		if _, _, _, ok := ParseSemver(r.Since); !ok {
			l.ps.at(r.Pos.Key("since"), "semver", "requirement %s: since %q is not a semantic version", r.ID, r.Since)
		} else if _, _, _, ok := ParseSemver(l.s.Meta.Version); ok && compareSemver(r.Since, l.s.Meta.Version) > 0 {
			l.ps.at(r.Pos.Key("since"), "semver", "requirement %s: since %s is later than the spec version %s", r.ID, r.Since, l.s.Meta.Version)
		}
		for i, c := range r.Commands {
			l.commandRef(r.Pos.Item("commands", i), "requirement "+r.ID, c)
		}
	}
}

func (l *linter) requirementRef(pos Pos, who, id string) {
	r := l.s.Requirement(id)
	switch {
	case r == nil:
		l.ps.at(pos, "dangling-requirement", "%s names unknown requirement %s", who, id)
	case r.Withdrawn:
		l.ps.at(pos, "withdrawn-requirement", "%s names withdrawn requirement %s", who, id)
	}
}

func (l *linter) commandRef(pos Pos, who, name string) {
	if l.s.Command(name) == nil {
		l.ps.at(pos, "dangling-command", "%s names unknown command %q", who, name)
	}
}

func (l *linter) wire() {
	w := &l.s.Wire
	for _, m := range l.s.Types.Maps {
		l.fields(m.Pos, "map "+m.Name, m.Fields, nil)
	}
	l.fields(w.Pos, "envelope", w.Envelope, envelopeMaps)
	l.fields(w.Pos, "request header", w.RequestHeader, nil)
	l.fields(w.Pos, "response header", w.ResponseHeader, nil)
	l.errorRows("common errors", w.CommonErrors, true)
	if lim := l.s.Limit("max_frame"); lim != nil && lim.Value != uint64(w.Framing.MaxFrame) {
		l.ps.at(lim.Pos.Key("value"), "limit-mismatch", "limit max_frame is %d but wire.yaml framing.max_frame is %d", lim.Value, w.Framing.MaxFrame)
	}
}

var scalarTypes = []string{TypeU8, TypeU16, TypeU32, TypeU64, TypeBool, TypeBytes, TypeText}

// envelopeMaps are the maps an envelope field may embed.
var envelopeMaps = []string{MapHeader, MapBody}

// fields checks one CBOR map: unique keys and names (RFC 8949 §4.2.1 maps
// have no duplicate keys), resolvable types and bounded sizes. maps are the
// names a map field of this map may embed.
func (l *linter) fields(owner Pos, what string, fs []Field, maps []string) {
	unique(l, "unique-field-key", what+" field key", fs, func(f *Field) (string, Pos) { return strconv.Itoa(f.Key), posOr(f.Pos, owner) })
	unique(l, "unique-field-name", what+" field", fs, func(f *Field) (string, Pos) { return f.Name, posOr(f.Pos, owner) })
	for _, f := range fs {
		pos := posOr(f.Pos, owner)
		who := what + " field " + f.Name
		switch f.Type {
		case TypeU8, TypeU16, TypeU32, TypeU64:
			if f.Range != nil {
				max := map[string]uint64{TypeU8: 0xFF, TypeU16: 0xFFFF, TypeU32: 0xFFFFFFFF, TypeU64: ^uint64(0)}[f.Type]
				if f.Range.Max > max {
					l.ps.at(pos, "field-range", "%s: range max %d does not fit a %s", who, f.Range.Max, f.Type)
				}
			}
		case TypeBool:
		case TypeBytes, TypeText:
			if f.Size == nil {
				l.ps.at(pos, "field-size", "%s: a %s field needs a size", who, f.Type)
			}
		case TypeEnum:
			if l.s.Enum(f.Enum) == nil {
				l.ps.at(pos, "field-type", "%s: enum %q is not defined in types.yaml", who, f.Enum)
			}
		case TypeFlags:
			if l.s.Flags(f.Flags) == nil {
				l.ps.at(pos, "field-type", "%s: flags %q is not defined in types.yaml", who, f.Flags)
			}
		case TypeList:
			if f.Size == nil {
				l.ps.at(pos, "field-size", "%s: a list needs a size (its element count)", who)
			}
			switch {
			case f.Items == TypeEnum:
				if l.s.Enum(f.Enum) == nil {
					l.ps.at(pos, "field-type", "%s: list of enum %q, not defined in types.yaml", who, f.Enum)
				}
			case f.Items == TypeFlags:
				if l.s.Flags(f.Flags) == nil {
					l.ps.at(pos, "field-type", "%s: list of flags %q, not defined in types.yaml", who, f.Flags)
				}
			case slices.Contains(scalarTypes, f.Items):
				if (f.Items == TypeBytes || f.Items == TypeText) && f.ItemSize == nil {
					l.ps.at(pos, "field-size", "%s: a list of %s needs an item_size", who, f.Items)
				}
			default:
				l.ps.at(pos, "field-type", "%s: list items %q is not one of %s, enum or flags", who, f.Items, strings.Join(scalarTypes, ", "))
			}
		case TypeMap:
			switch {
			case f.Map == "":
				l.ps.at(pos, "field-type", "%s: a map field names the map it embeds (map: ...)", who)
			case !slices.Contains(maps, f.Map):
				if len(maps) == 0 {
					l.ps.at(pos, "field-type", "%s: map %q: no map can be embedded here", who, f.Map)
				} else {
					l.ps.at(pos, "field-type", "%s: map %q is not one of %s", who, f.Map, strings.Join(maps, ", "))
				}
			}
			if f.Size != nil {
				l.ps.at(pos, "field-size", "%s: a map is bounded by its own fields, not by a size", who)
			}
		default:
			l.ps.at(pos, "field-type", "%s: unknown type %q", who, f.Type)
		}
		if f.Map != "" && f.Type != TypeMap {
			l.ps.at(pos, "field-type", "%s: map is set on a %s field", who, f.Type)
		}
		if f.CoseSign1 != "" {
			switch {
			case f.Type != TypeBytes:
				l.ps.at(pos, "field-type", "%s: cose_sign1 is set on a %s field (a COSE_Sign1 is a byte string)", who, f.Type)
			case l.s.Map(f.CoseSign1) == nil:
				l.ps.at(pos, "field-type", "%s: cose_sign1 map %q is not defined in types.yaml maps", who, f.CoseSign1)
			}
		}
		if f.Example != "" {
			if msg := l.example(&f); msg != "" {
				l.ps.at(pos, "field-example", "%s: example %q %s", who, f.Example, msg)
			}
		}
		if f.Enum != "" && f.Type != TypeEnum && f.Items != TypeEnum {
			l.ps.at(pos, "field-type", "%s: enum is set on a %s field", who, f.Type)
		}
		if f.Flags != "" && f.Type != TypeFlags && f.Items != TypeFlags {
			l.ps.at(pos, "field-type", "%s: flags is set on a %s field", who, f.Type)
		}
		if f.Items != "" && f.Type != TypeList {
			l.ps.at(pos, "field-type", "%s: items is set on a %s field", who, f.Type)
		}
		if f.ItemSize != nil && f.Type != TypeList {
			l.ps.at(pos, "field-size", "%s: item_size is set on a %s field", who, f.Type)
		}
		for _, r := range []struct {
			name string
			r    *Range
		}{{"size", f.Size}, {"item_size", f.ItemSize}, {"range", f.Range}} {
			if r.r != nil && r.r.Min > r.r.Max {
				l.ps.at(pos, "field-range", "%s: %s min %d exceeds max %d", who, r.name, r.r.Min, r.r.Max)
			}
		}
		// A byte or text string that cannot fit in a frame can never be
		// sent: its bound is wrong, or max_frame is.
		if mf := uint64(l.s.Wire.Framing.MaxFrame); mf > 0 {
			for _, r := range []struct {
				name string
				r    *Range
				on   bool
			}{{"size", f.Size, f.Type == TypeBytes || f.Type == TypeText}, {"item_size", f.ItemSize, true}} {
				if r.on && r.r != nil && r.r.Max > mf {
					l.ps.at(pos, "frame-size", "%s: %s max %d bytes does not fit a frame (max_frame %d)", who, r.name, r.r.Max, mf)
				}
			}
		}
		if f.Range != nil && !slices.Contains([]string{TypeU8, TypeU16, TypeU32, TypeU64}, f.Type) {
			l.ps.at(pos, "field-range", "%s: range is set on a %s field", who, f.Type)
		}
	}
}

// example returns what is wrong with f's example value, or "".
func (l *linter) example(f *Field) string {
	within := func(n uint64, r *Range, unit string) string {
		if r != nil && (n < r.Min || n > r.Max) {
			return fmt.Sprintf("is %d %s, outside %d..%d", n, unit, r.Min, r.Max)
		}
		return ""
	}
	switch f.Type {
	case TypeBytes:
		b, err := hex.DecodeString(f.Example)
		if err != nil {
			return "is not hex"
		}
		return within(uint64(len(b)), f.Size, "bytes")
	case TypeText:
		return within(uint64(len(f.Example)), f.Size, "bytes")
	case TypeU8, TypeU16, TypeU32, TypeU64:
		bits := map[string]int{TypeU8: 8, TypeU16: 16, TypeU32: 32, TypeU64: 64}[f.Type]
		n, err := strconv.ParseUint(f.Example, 10, bits)
		if err != nil {
			return "is not a " + f.Type
		}
		if f.Range != nil && (n < f.Range.Min || n > f.Range.Max) {
			return fmt.Sprintf("is outside %d..%d", f.Range.Min, f.Range.Max)
		}
		return ""
	case TypeBool:
		if f.Example != "true" && f.Example != "false" {
			return "is not true or false"
		}
		return ""
	case TypeEnum:
		if e := l.s.Enum(f.Enum); e != nil && !slices.ContainsFunc(e.Values, func(v EnumValue) bool { return v.Name == f.Example }) {
			return "is no value of " + f.Enum
		}
		return ""
	case TypeFlags:
		fl := l.s.Flags(f.Flags)
		for _, n := range strings.Split(f.Example, "|") {
			if fl != nil && !slices.ContainsFunc(fl.Bits, func(b Bit) bool { return b.Name == n }) {
				return "names no bit " + n + " of " + f.Flags
			}
		}
		return ""
	}
	return "cannot be given for a " + f.Type + " field"
}

func posOr(p, owner Pos) Pos {
	if p.File == "" {
		return owner
	}
	return p
}

var sessionRules = []string{SessionNone, SessionOpens, SessionCloses, SessionIn}

func (l *linter) errorRows(who string, rows []ErrorRow, common bool) {
	seen := map[string]Pos{}
	for _, r := range rows {
		l.statusRef(r.Pos.Key("status"), who, r.Status)
		if r.Status == "Success" {
			l.ps.at(r.Pos, "error-success", "%s: Success is not an error", who)
		}
		key := r.Status + "\x00" + r.When
		if prev, dup := seen[key]; dup {
			l.ps.at(r.Pos, "unique-error-row", "%s: row %s (%s) repeats %s", who, r.Status, r.When, prev.place())
		}
		seen[key] = r.Pos
		if len(r.Sessions) > 0 && !common {
			l.ps.at(r.Pos.Key("sessions"), "session-rule", "%s: only common rows are filtered by sessions", who)
		}
		if !common && (len(r.Except) > 0 || r.Feature || r.WithFields || r.Unaddressed) {
			l.ps.at(r.Pos, "common-filter", "%s: except, feature, with_fields and unaddressed belong to common rows", who)
		}
		for i, c := range r.Except {
			l.commandRef(r.Pos.Item("except", i), who+" row "+r.Status+" except", c)
		}
		for i, sr := range r.Sessions {
			if !slices.Contains(sessionRules, sr) {
				l.ps.at(r.Pos.Item("sessions", i), "session-rule", "%s: unknown session rule %q", who, sr)
			}
		}
		for i, id := range r.Requirements {
			l.requirementRef(r.Pos.Item("requirements", i), who+" row "+r.Status, id)
		}
	}
}

func (l *linter) commands() {
	cs := l.s.Commands
	unique(l, "unique-opcode", "opcode", cs, func(c *Command) (string, Pos) {
		return fmt.Sprintf("0x%04X", c.Opcode), c.Pos.Key("opcode")
	})
	unique(l, "unique-command", "command", cs, func(c *Command) (string, Pos) { return c.Name, c.Pos.Key("name") })
	unique(l, "unique-command-id", "command id", cs, func(c *Command) (string, Pos) { return c.ID, c.Pos.Key("id") })
	for i := range cs {
		c := &cs[i]
		who := "command " + c.Name
		if !slices.Contains(sessionRules, c.Session) {
			l.ps.at(c.Pos.Key("session"), "session-rule", "%s: unknown session rule %q", who, c.Session)
		}
		for i, r := range c.Roles {
			l.roleRef(c.Pos.Item("roles", i), who, r)
		}
		// Roles are never checked on the wire: anonymous and officer are
		// bound to the endpoint, user is held inside a session. A command
		// sent without a session must therefore be one of the endpoint's
		// roles, or no request could hold the role it needs.
		if c.Session == SessionNone && !slices.Contains(c.Roles, "anonymous") && !slices.Contains(c.Roles, "officer") {
			l.ps.at(c.Pos.Key("roles"), "role-session", "%s takes no session, so its roles must include anonymous or officer (the roles bound to the endpoint), not only %v", who, c.Roles)
		}
		l.feature(c.Pos.Key("feature"), who, c.Feature)
		l.fields(c.Pos, c.Name+" request", c.Request, nil)
		l.fields(c.Pos, c.Name+" response", c.Response, nil)
		l.errorRows(who, c.Errors, false)
		if len(l.s.EffectiveErrors(c)) == 0 {
			l.ps.at(c.Pos.Key("errors"), "no-errors", "%s has no error table: no rows of its own and no common rows for session rule %q", who, c.Session)
		}
		if len(c.Requirements) == 0 {
			l.ps.at(c.Pos.Key("requirements"), "no-requirements", "%s implements no requirement", who)
		}
		for i, id := range c.Requirements {
			l.requirementRef(c.Pos.Item("requirements", i), who, id)
		}
	}
}

func (l *linter) states() {
	unique(l, "unique-state-machine", "state machine", l.s.States, func(m *StateMachine) (string, Pos) { return m.ID, m.Pos })
	for _, m := range l.s.States {
		who := "state machine " + m.ID
		unique(l, "unique-state", m.ID+" state", m.States, func(s *State) (string, Pos) { return s.Name, s.Pos })
		if m.State(m.Initial) == nil {
			l.ps.at(m.Pos.Key("initial"), "dangling-state", "%s: initial state %q is not defined", who, m.Initial)
		}
		for _, st := range m.States {
			for i, a := range st.Allow {
				if a != "*" {
					l.commandRef(st.Pos.Item("allow", i), who+" state "+st.Name, a)
				}
			}
			if st.Reject != "" {
				l.statusRef(st.Pos.Key("reject"), who+" state "+st.Name, st.Reject)
			}
		}
		for _, t := range m.Transitions {
			tw := fmt.Sprintf("%s transition %s -> %s", who, t.From, t.To)
			from := m.State(t.From)
			if from == nil {
				l.ps.at(t.Pos.Key("from"), "dangling-state", "%s: state %q is not defined", tw, t.From)
			} else if from.Terminal {
				l.ps.at(t.Pos.Key("from"), "terminal-transition", "%s leaves terminal state %s", tw, t.From)
			}
			if m.State(t.To) == nil {
				l.ps.at(t.Pos.Key("to"), "dangling-state", "%s: state %q is not defined", tw, t.To)
			}
			if (t.Command == "") == (t.Event == "") {
				l.ps.at(t.Pos, "transition-trigger", "%s needs exactly one of command or event", tw)
			}
			if t.Command != "" {
				l.commandRef(t.Pos.Key("command"), tw, t.Command)
			}
			for i, id := range t.Requirements {
				l.requirementRef(t.Pos.Item("requirements", i), tw, id)
			}
		}
		l.eventCoverage(&m)
		if m.State(m.Initial) == nil {
			continue
		}
		reached := map[string]bool{m.Initial: true}
		for changed := true; changed; {
			changed = false
			for _, t := range m.Transitions {
				if reached[t.From] && !reached[t.To] {
					reached[t.To], changed = true, true
				}
			}
		}
		for _, st := range m.States {
			if !reached[st.Name] {
				l.ps.at(st.Pos, "unreachable-state", "%s: state %s cannot be reached from %s", who, st.Name, m.Initial)
			}
		}
	}
}

// eventCoverage checks that every event of machine m is handled, by a
// transition or explicitly ignored, in every state that is not terminal.
func (l *linter) eventCoverage(m *StateMachine) {
	var events []string
	handled := map[string]map[string]bool{} // state -> events it leaves on
	for _, t := range m.Transitions {
		if t.Event == "" {
			continue
		}
		if !slices.Contains(events, t.Event) {
			events = append(events, t.Event)
		}
		if handled[t.From] == nil {
			handled[t.From] = map[string]bool{}
		}
		handled[t.From][t.Event] = true
	}
	for _, st := range m.States {
		for _, e := range st.Ignores {
			switch {
			case !slices.Contains(events, e):
				l.ps.at(st.Pos, "dangling-event", "state machine %s state %s ignores event %q, which no transition of the machine has", m.ID, st.Name, e)
			case handled[st.Name][e]:
				l.ps.at(st.Pos, "dangling-event", "state machine %s state %s both ignores and leaves on event %s", m.ID, st.Name, e)
			}
		}
		if st.Terminal {
			continue
		}
		for _, e := range events {
			if !handled[st.Name][e] && !slices.Contains(st.Ignores, e) {
				l.ps.at(st.Pos, "event-coverage", "state machine %s state %s does not handle event %s: add a transition from it or list the event in its ignores", m.ID, st.Name, e)
			}
		}
	}
}

func (l *linter) architecture() {
	a := &l.s.Architecture
	unique(l, "unique-port", "port", a.Boundary.Ports, func(p *Port) (string, Pos) { return p.Name, Pos{} })
	unique(l, "unique-service", "service", a.Services, func(s *Service) (string, Pos) { return s.Name, s.Pos })
	unique(l, "unique-key-entry", "key table entry", a.Keys, func(k *SecretEntry) (string, Pos) { return k.Name, k.Pos })
	unique(l, "unique-algorithm", "algorithm", a.Algorithms, func(al *Algorithm) (string, Pos) { return al.Name, al.Pos })
	unique(l, "unique-self-test", "self-test", a.SelfTests, func(t *SelfTest) (string, Pos) { return t.Name, t.Pos })
	unique(l, "unique-limit", "limit", a.Limits, func(lim *Limit) (string, Pos) { return lim.Name, lim.Pos })
	covered := map[string]bool{}
	for _, sv := range a.Services {
		who := "service " + sv.Name
		for i, c := range sv.Commands {
			l.commandRef(sv.Pos.Item("commands", i), who, c)
			covered[c] = true
		}
		for i, r := range sv.Roles {
			l.roleRef(sv.Pos.Item("roles", i), who, r)
		}
		for i, k := range sv.Keys {
			if !slices.ContainsFunc(a.Keys, func(e SecretEntry) bool { return e.Name == k }) {
				l.ps.at(sv.Pos.Item("keys", i), "dangling-key-entry", "%s names unknown key table entry %q", who, k)
			}
		}
	}
	for _, c := range l.s.Commands {
		if !covered[c.Name] {
			l.ps.at(c.Pos, "service-coverage", "command %s is in no service of architecture services", c.Name)
		}
	}
	for _, al := range a.Algorithms {
		if al.SelfTest == "" {
			if al.Approved {
				l.ps.at(al.Pos, "dangling-self-test", "approved algorithm %s has no self-test", al.Name)
			}
			continue
		}
		if l.s.SelfTest(al.SelfTest) == nil {
			l.ps.at(al.Pos.Key("self_test"), "dangling-self-test", "algorithm %s names unknown self-test %q", al.Name, al.SelfTest)
		}
	}
}
