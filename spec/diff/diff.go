package diff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// Class is how a change affects existing clients and devices.
type Class int

// The classes, in decreasing order of severity.
const (
	Breaking Class = iota + 1
	Additive
	Editorial
)

func (c Class) String() string {
	switch c {
	case Breaking:
		return "breaking"
	case Additive:
		return "additive"
	case Editorial:
		return "editorial"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// MarshalText writes the class name, so JSON reports read as words.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Change is one classified difference between two specs.
type Change struct {
	Class   Class
	Where   string    // the element, e.g. "command GenerateKey request field label"
	Message string    // what changed
	Pos     model.Pos // in the new spec, or in the old one when the element was removed
	Removed bool      // Pos refers to the old spec
}

// Violation is a breach of the versioning policy.
type Violation struct {
	// Rule is one of breaking-without-major (API revision),
	// revision-decreased, version-decreased, version-not-bumped (spec
	// version), requirement-removed, requirement-reused and status-reused.
	Rule    string
	Message string
	Pos     model.Pos
}

// Report is the result of Diff.
type Report struct {
	OldVersion, NewVersion   string
	OldRevision, NewRevision model.APIRevision
	Changes                  []Change
	Violations               []Violation
}

// position is the JSON form of a model.Pos, which the model keeps out of
// JSON so that moving an element is not a change.
type position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// MarshalJSON writes the change with its file and line.
func (c Change) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Class   Class  `json:"class"`
		Where   string `json:"where"`
		Message string `json:"message"`
		position
		Removed bool `json:"removed,omitempty"` // file and line are in the old spec
	}{c.Class, c.Where, c.Message, position{c.Pos.File, c.Pos.Line}, c.Removed})
}

// MarshalJSON writes the violation with its file and line.
func (v Violation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Rule    string `json:"rule"`
		Message string `json:"message"`
		position
	}{v.Rule, v.Message, position{v.Pos.File, v.Pos.Line}})
}

// MarshalJSON writes the report: versions, the counts per class, the
// verdict, and every change and violation with its file and line.
func (r Report) MarshalJSON() ([]byte, error) {
	changes, violations := r.Changes, r.Violations
	if changes == nil {
		changes = []Change{}
	}
	if violations == nil {
		violations = []Violation{}
	}
	return json.Marshal(struct {
		OldVersion  string         `json:"old_version"`
		NewVersion  string         `json:"new_version"`
		OldRevision string         `json:"old_api_revision"`
		NewRevision string         `json:"new_api_revision"`
		Counts      map[string]int `json:"counts"`
		OK          bool           `json:"ok"`
		Changes     []Change       `json:"changes"`
		Violations  []Violation    `json:"violations"`
	}{r.OldVersion, r.NewVersion, rev(r.OldRevision), rev(r.NewRevision),
		map[string]int{"breaking": r.Count(Breaking), "additive": r.Count(Additive), "editorial": r.Count(Editorial)},
		r.OK(), changes, violations})
}

// Count returns the number of changes of class c.
func (r *Report) Count(c Class) int {
	n := 0
	for _, ch := range r.Changes {
		if ch.Class == c {
			n++
		}
	}
	return n
}

// OK reports whether the new spec follows the versioning policy.
func (r *Report) OK() bool { return len(r.Violations) == 0 }

// Diff compares old and new and classifies every change.
func Diff(old, new *model.Spec) Report {
	d := &differ{old: old, new: new}
	d.r.OldVersion, d.r.NewVersion = old.Meta.Version, new.Meta.Version
	d.r.OldRevision, d.r.NewRevision = old.Meta.APIRevision, new.Meta.APIRevision
	d.section("spec.yaml", old.Meta, new.Meta, d.meta)
	d.section("wire.yaml", old.Wire, new.Wire, d.wire)
	d.section("types.yaml", old.Types, new.Types, d.types)
	d.section("status.yaml", old.Status, new.Status, d.status)
	d.section("commands", old.Commands, new.Commands, d.commands)
	d.section("states.yaml", old.States, new.States, d.states)
	d.section("requirements", old.Requirements, new.Requirements, d.requirements)
	d.section("architecture", old.Architecture, new.Architecture, d.architecture)
	d.policy()
	return d.r
}

type differ struct {
	old, new *model.Spec
	r        Report
}

func (d *differ) add(c Class, pos model.Pos, where, format string, args ...any) {
	d.r.Changes = append(d.r.Changes, Change{Class: c, Where: where, Message: fmt.Sprintf(format, args...), Pos: pos})
}

func (d *differ) removed(c Class, pos model.Pos, where, format string, args ...any) {
	d.r.Changes = append(d.r.Changes, Change{Class: c, Where: where, Message: fmt.Sprintf(format, args...), Pos: pos, Removed: true})
}

// section runs a comparison and, when the two values differ in a way the
// comparison did not name, records an editorial change, so that no
// difference goes unreported.
func (d *differ) section(name string, old, new any, compare func()) {
	before := len(d.r.Changes)
	compare()
	if len(d.r.Changes) == before && !sameJSON(old, new) {
		d.add(Editorial, model.Pos{File: name}, name, "text changed")
	}
}

// sameJSON compares two values as their JSON forms, which leave out
// positions: moving an element within a file is not a change.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func (d *differ) text(pos model.Pos, where, what, old, new string) {
	if old != new {
		d.add(Editorial, pos, where, "%s changed", what)
	}
}

// byName pairs the elements of two lists by key, in new-list order, then the
// old elements that have no partner.
func byName[T any](old, new []T, key func(*T) string, both func(o, n *T), added func(n *T), gone func(o *T)) {
	for i := range new {
		k := key(&new[i])
		j := slices.IndexFunc(old, func(o T) bool { return key(&o) == k })
		if j < 0 {
			added(&new[i])
			continue
		}
		both(&old[j], &new[i])
	}
	for i := range old {
		k := key(&old[i])
		if !slices.ContainsFunc(new, func(n T) bool { return key(&n) == k }) {
			gone(&old[i])
		}
	}
}

func (d *differ) meta() {
	o, n := &d.old.Meta, &d.new.Meta
	if o.Version != n.Version {
		d.add(Editorial, n.Pos, "spec version", "%s -> %s", o.Version, n.Version)
	}
	if o.APIRevision != n.APIRevision {
		d.add(Editorial, n.Pos, "api_revision", "%s -> %s", rev(o.APIRevision), rev(n.APIRevision))
	}
	d.text(n.Pos, "spec title", "title", o.Title, n.Title)
	byName(o.Profiles, n.Profiles, func(p *model.Profile) string { return p.Name },
		func(op, np *model.Profile) {
			where := "profile " + np.Name
			d.text(np.Pos, where, "description", op.Description, np.Description)
			d.set(np.Pos, where, "mandatory feature", op.Mandatory, np.Mandatory, Breaking, Additive)
		},
		func(np *model.Profile) { d.add(Additive, np.Pos, "profile "+np.Name, "added") },
		func(op *model.Profile) { d.removed(Breaking, op.Pos, "profile "+op.Name, "removed") })
	byName(o.Features, n.Features, func(f *model.Feature) string { return f.Name },
		func(of, nf *model.Feature) {
			where := "feature " + nf.Name
			d.text(nf.Pos, where, "description", of.Description, nf.Description)
			if of.Profile != nf.Profile {
				d.add(Breaking, nf.Pos, where, "moved from profile %s to %s", of.Profile, nf.Profile)
			}
		},
		func(nf *model.Feature) { d.add(Additive, nf.Pos, "feature "+nf.Name, "added") },
		func(of *model.Feature) { d.removed(Breaking, of.Pos, "feature "+of.Name, "removed") })
}

func rev(r model.APIRevision) string { return fmt.Sprintf("%d.%d", r.Major, r.Minor) }

// set compares two lists of names: an added name has class onAdd, a removed
// one class onRemove. A requirement-style mandatory list is stricter when it
// grows, an allow list when it shrinks; the caller says which.
func (d *differ) set(pos model.Pos, where, what string, old, new []string, onAdd, onRemove Class) {
	for _, x := range new {
		if !slices.Contains(old, x) {
			d.add(onAdd, pos, where, "%s %s added", what, x)
		}
	}
	for _, x := range old {
		if !slices.Contains(new, x) {
			d.add(onRemove, pos, where, "%s %s removed", what, x)
		}
	}
}

func (d *differ) wire() {
	o, n := &d.old.Wire, &d.new.Wire
	if o.Framing.LengthPrefix != n.Framing.LengthPrefix {
		d.add(Breaking, n.Pos, "framing", "length prefix %d -> %d bytes", o.Framing.LengthPrefix, n.Framing.LengthPrefix)
	}
	d.bound(n.Pos, "framing", "max_frame", uint64(o.Framing.MaxFrame), uint64(n.Framing.MaxFrame))
	d.text(n.Pos, "framing", "description", o.Framing.Description, n.Framing.Description)
	d.fields(n.Pos, "envelope", o.Envelope, n.Envelope, true)
	d.fields(n.Pos, "request header", o.RequestHeader, n.RequestHeader, true)
	d.fields(n.Pos, "response header", o.ResponseHeader, n.ResponseHeader, false)
	oc, nc := &o.Channel, &n.Channel
	for _, p := range [][3]string{{"aead", oc.AEAD, nc.AEAD}, {"kdf", oc.KDF, nc.KDF}, {"key_exchange", oc.KeyExchange, nc.KeyExchange}} {
		if p[1] != p[2] {
			d.add(Breaking, n.Pos, "channel", "%s %q -> %q", p[0], p[1], p[2])
		}
	}
	byName(oc.Labels, nc.Labels, func(l *model.Label) string { return l.Name },
		func(ol, nl *model.Label) {
			if ol.Value != nl.Value {
				d.add(Breaking, n.Pos, "channel label "+nl.Name, "value %q -> %q", ol.Value, nl.Value)
			}
			d.text(n.Pos, "channel label "+nl.Name, "doc", ol.Doc, nl.Doc)
		},
		func(nl *model.Label) { d.add(Additive, n.Pos, "channel label "+nl.Name, "added") },
		func(ol *model.Label) { d.removed(Breaking, o.Pos, "channel label "+ol.Name, "removed") })
	d.text(n.Pos, "channel", "description", oc.Description, nc.Description)
	if !slices.Equal(oc.Rules, nc.Rules) {
		d.add(Editorial, n.Pos, "channel", "rules changed")
	}
	d.errorRows(n.Pos, "common errors", o.CommonErrors, n.CommonErrors)
	d.text(n.Pos, "wire", "encoding", o.Encoding, n.Encoding)
}

// bound compares an upper bound: lowering it refuses what was valid.
func (d *differ) bound(pos model.Pos, where, what string, old, new uint64) {
	switch {
	case new < old:
		d.add(Breaking, pos, where, "%s narrowed %d -> %d", what, old, new)
	case new > old:
		d.add(Additive, pos, where, "%s widened %d -> %d", what, old, new)
	}
}

// rng compares an inclusive range; nil means unbounded.
func (d *differ) rng(pos model.Pos, where, what string, old, new *model.Range) {
	switch {
	case old == nil && new == nil:
	case old == nil:
		d.add(Breaking, pos, where, "%s bounded to %d..%d", what, new.Min, new.Max)
	case new == nil:
		d.add(Additive, pos, where, "%s bound %d..%d removed", what, old.Min, old.Max)
	case new.Min > old.Min || new.Max < old.Max:
		d.add(Breaking, pos, where, "%s narrowed %d..%d -> %d..%d", what, old.Min, old.Max, new.Min, new.Max)
	case new.Min < old.Min || new.Max > old.Max:
		d.add(Additive, pos, where, "%s widened %d..%d -> %d..%d", what, old.Min, old.Max, new.Min, new.Max)
	}
}

// fields compares two CBOR maps. request says which side sends the map:
// the device must accept every request an old client sends, and an old
// client must find every response field it relies on.
func (d *differ) fields(owner model.Pos, where string, old, new []model.Field, request bool) {
	byName(old, new, func(f *model.Field) string { return f.Name },
		func(of, nf *model.Field) {
			pos := posOr(nf.Pos, owner)
			w := where + " field " + nf.Name
			if of.Key != nf.Key {
				d.add(Breaking, pos, w, "key %d -> %d", of.Key, nf.Key)
			}
			if ot, nt := fieldType(of), fieldType(nf); ot != nt {
				d.add(Breaking, pos, w, "type %s -> %s", ot, nt)
			}
			switch {
			case of.Optional && !nf.Optional && request:
				d.add(Breaking, pos, w, "made required")
			case of.Optional && !nf.Optional:
				d.add(Additive, pos, w, "made required (always sent)")
			case !of.Optional && nf.Optional && request:
				d.add(Additive, pos, w, "made optional")
			case !of.Optional && nf.Optional:
				d.add(Breaking, pos, w, "made optional (clients may rely on it)")
			}
			d.rng(pos, w, "size", of.Size, nf.Size)
			d.rng(pos, w, "item_size", of.ItemSize, nf.ItemSize)
			d.rng(pos, w, "range", of.Range, nf.Range)
			d.text(pos, w, "doc", of.Doc, nf.Doc)
		},
		func(nf *model.Field) {
			w := where + " field " + nf.Name
			if request && !nf.Optional {
				d.add(Breaking, posOr(nf.Pos, owner), w, "added as required")
				return
			}
			d.add(Additive, posOr(nf.Pos, owner), w, "added")
		},
		func(of *model.Field) {
			d.removed(Breaking, posOr(of.Pos, owner), where+" field "+of.Name, "removed")
		})
}

func fieldType(f *model.Field) string {
	switch f.Type {
	case model.TypeEnum:
		return "enum " + f.Enum
	case model.TypeFlags:
		return "flags " + f.Flags
	case model.TypeList:
		return "list of " + strings.TrimSpace(f.Items+" "+f.Enum+f.Flags)
	case model.TypeMap:
		return "map " + f.Map
	}
	return f.Type
}

func posOr(p, owner model.Pos) model.Pos {
	if p.File == "" {
		return owner
	}
	return p
}

// errorRows compares error tables by status: a status a command may newly
// return is additive; one it no longer returns changes its failure contract.
// Conditions are prose, so rewording them is editorial.
func (d *differ) errorRows(owner model.Pos, where string, old, new []model.ErrorRow) {
	group := func(rows []model.ErrorRow) (order []string, by map[string][]*model.ErrorRow) {
		by = map[string][]*model.ErrorRow{}
		for i := range rows {
			r := &rows[i]
			if by[r.Status] == nil {
				order = append(order, r.Status)
			}
			by[r.Status] = append(by[r.Status], r)
		}
		return order, by
	}
	oOrder, oBy := group(old)
	nOrder, nBy := group(new)
	for _, st := range nOrder {
		nr := nBy[st]
		pos := posOr(nr[0].Pos, owner)
		or, ok := oBy[st]
		if !ok {
			d.add(Additive, pos, where, "may now return %s", st)
			continue
		}
		var ow, nw, osess, nsess, oreq, nreq []string
		for _, r := range or {
			ow, osess, oreq = append(ow, r.When), append(osess, rowScope(r)), append(oreq, r.Requirements...)
		}
		for _, r := range nr {
			nw, nsess, nreq = append(nw, r.When), append(nsess, rowScope(r)), append(nreq, r.Requirements...)
		}
		if !slices.Equal(osess, nsess) {
			d.add(Breaking, pos, where, "%s applies to %v, was %v", st, nsess, osess)
		}
		if !slices.Equal(ow, nw) {
			d.add(Editorial, pos, where, "conditions of %s reworded", st)
		}
		if !slices.Equal(oreq, nreq) {
			d.add(Editorial, pos, where, "requirements of %s changed", st)
		}
	}
	for _, st := range oOrder {
		if _, ok := nBy[st]; !ok {
			d.removed(Breaking, posOr(oBy[st][0].Pos, owner), where, "no longer returns %s", st)
		}
	}
}

// rowScope describes which commands a common row applies to and how it is
// answered: a change to it changes the failure contract of commands.
func rowScope(r *model.ErrorRow) string {
	var parts []string
	if len(r.Sessions) > 0 {
		parts = append(parts, "sessions "+strings.Join(r.Sessions, ","))
	}
	if len(r.Except) > 0 {
		parts = append(parts, "except "+strings.Join(r.Except, ","))
	}
	if r.Feature {
		parts = append(parts, "feature commands")
	}
	if r.WithFields {
		parts = append(parts, "commands with fields")
	}
	if r.Unaddressed {
		parts = append(parts, "unaddressed")
	}
	if len(parts) == 0 {
		return "every command"
	}
	return strings.Join(parts, "; ")
}

func (d *differ) types() {
	o, n := &d.old.Types, &d.new.Types
	byName(o.Enums, n.Enums, func(e *model.Enum) string { return e.Name },
		func(oe, ne *model.Enum) {
			where := "enum " + ne.Name
			d.text(ne.Pos, where, "doc", oe.Doc, ne.Doc)
			byName(oe.Values, ne.Values, func(v *model.EnumValue) string { return v.Name },
				func(ov, nv *model.EnumValue) {
					w := where + " value " + nv.Name
					if ov.Value != nv.Value {
						d.add(Breaking, nv.Pos, w, "number %d -> %d", ov.Value, nv.Value)
					}
					if ov.Feature != nv.Feature {
						d.add(Breaking, nv.Pos, w, "feature %q -> %q", ov.Feature, nv.Feature)
					}
					d.text(nv.Pos, w, "doc", ov.Doc, nv.Doc)
				},
				func(nv *model.EnumValue) { d.add(Additive, nv.Pos, where+" value "+nv.Name, "added (%d)", nv.Value) },
				func(ov *model.EnumValue) {
					d.removed(Breaking, ov.Pos, where+" value "+ov.Name, "removed (%d)", ov.Value)
				})
		},
		func(ne *model.Enum) { d.add(Additive, ne.Pos, "enum "+ne.Name, "added") },
		func(oe *model.Enum) { d.removed(Breaking, oe.Pos, "enum "+oe.Name, "removed") })
	byName(o.Flags, n.Flags, func(f *model.Flags) string { return f.Name },
		func(of, nf *model.Flags) {
			where := "flags " + nf.Name
			d.text(nf.Pos, where, "doc", of.Doc, nf.Doc)
			byName(of.Bits, nf.Bits, func(b *model.Bit) string { return b.Name },
				func(ob, nb *model.Bit) {
					if ob.Bit != nb.Bit {
						d.add(Breaking, nb.Pos, where+" bit "+nb.Name, "bit %d -> %d", ob.Bit, nb.Bit)
					}
					d.text(nb.Pos, where+" bit "+nb.Name, "doc", ob.Doc, nb.Doc)
				},
				func(nb *model.Bit) { d.add(Additive, nb.Pos, where+" bit "+nb.Name, "added (bit %d)", nb.Bit) },
				func(ob *model.Bit) { d.removed(Breaking, ob.Pos, where+" bit "+ob.Name, "removed (bit %d)", ob.Bit) })
		},
		func(nf *model.Flags) { d.add(Additive, nf.Pos, "flags "+nf.Name, "added") },
		func(of *model.Flags) { d.removed(Breaking, of.Pos, "flags "+of.Name, "removed") })
	d.keyPolicy()
	byName(o.Maps, n.Maps, func(m *model.Map) string { return m.Name },
		func(om, nm *model.Map) {
			d.text(nm.Pos, "map "+nm.Name, "doc", om.Doc, nm.Doc)
			// A payload is sent by the device: like a response.
			d.fields(nm.Pos, "map "+nm.Name, om.Fields, nm.Fields, false)
		},
		func(nm *model.Map) { d.add(Additive, nm.Pos, "map "+nm.Name, "added") },
		func(om *model.Map) { d.removed(Breaking, om.Pos, "map "+om.Name, "removed") })
}

// keyPolicy compares the key usage policy: a kind that may do less, or
// fits fewer algorithms, refuses what was valid.
func (d *differ) keyPolicy() {
	o, n := d.old.Types.KeyPolicy, d.new.Types.KeyPolicy
	if o == nil {
		o = &model.KeyPolicy{}
	}
	if n == nil {
		n = &model.KeyPolicy{}
	}
	d.set(n.Pos, "key policy", "usage of every kind", o.AllKinds, n.AllKinds, Additive, Breaking)
	d.text(n.Pos, "key policy", "description", o.Description, n.Description)
	byName(o.Kinds, n.Kinds, func(k *model.KindPolicy) string { return k.Kind },
		func(ok, nk *model.KindPolicy) {
			where := "key policy of " + nk.Kind
			d.set(nk.Pos, where, "usage", ok.Usages, nk.Usages, Additive, Breaking)
			d.set(nk.Pos, where, "algorithm", ok.Algorithms, nk.Algorithms, Additive, Breaking)
		},
		func(nk *model.KindPolicy) { d.add(Additive, nk.Pos, "key policy of "+nk.Kind, "added") },
		func(ok *model.KindPolicy) { d.removed(Breaking, ok.Pos, "key policy of "+ok.Kind, "removed") })
}

func (d *differ) status() {
	byName(d.old.Status, d.new.Status, func(s *model.Status) string { return s.Name },
		func(os, ns *model.Status) {
			where := "status " + ns.Name
			if os.Code != ns.Code {
				d.add(Breaking, ns.Pos, where, "code 0x%08X -> 0x%08X", os.Code, ns.Code)
			}
			switch {
			case !os.Withdrawn && ns.Withdrawn:
				d.add(Breaking, ns.Pos, where, "withdrawn")
			case os.Withdrawn && !ns.Withdrawn:
				d.add(Breaking, ns.Pos, where, "withdrawn code revived")
				d.violation("status-reused", ns.Pos, "status %s was withdrawn and is used again; a new status needs a new code", ns.Name)
			}
			d.text(ns.Pos, where, "category", os.Category, ns.Category)
			d.text(ns.Pos, where, "description", os.Description, ns.Description)
		},
		func(ns *model.Status) { d.add(Additive, ns.Pos, "status "+ns.Name, "added (0x%08X)", ns.Code) },
		func(os *model.Status) {
			d.removed(Breaking, os.Pos, "status "+os.Name, "removed from the registry (0x%08X)", os.Code)
		})
}

func (d *differ) commands() {
	byName(d.old.Commands, d.new.Commands, func(c *model.Command) string { return c.Name },
		func(oc, nc *model.Command) {
			where := "command " + nc.Name
			if oc.Opcode != nc.Opcode {
				d.add(Breaking, nc.Pos, where, "renumbered 0x%04X -> 0x%04X", oc.Opcode, nc.Opcode)
			}
			if oc.ID != nc.ID {
				d.add(Breaking, nc.Pos, where, "spec id %s -> %s", oc.ID, nc.ID)
			}
			if oc.Session != nc.Session {
				d.add(Breaking, nc.Pos, where, "session rule %s -> %s", oc.Session, nc.Session)
			}
			d.set(nc.Pos, where, "role", oc.Roles, nc.Roles, Additive, Breaking)
			if oc.Feature != nc.Feature {
				d.add(Breaking, nc.Pos, where, "feature %q -> %q", oc.Feature, nc.Feature)
			}
			if oc.Area != nc.Area {
				d.add(Editorial, nc.Pos, where, "moved from area %s to %s", oc.Area, nc.Area)
			}
			d.text(nc.Pos, where, "summary", oc.Summary, nc.Summary)
			d.text(nc.Pos, where, "description", oc.Description, nc.Description)
			d.fields(nc.Pos, where+" request", oc.Request, nc.Request, true)
			d.fields(nc.Pos, where+" response", oc.Response, nc.Response, false)
			d.errorRows(nc.Pos, where+" errors", oc.Errors, nc.Errors)
			d.set(nc.Pos, where, "requirement", oc.Requirements, nc.Requirements, Editorial, Editorial)
		},
		func(nc *model.Command) {
			where := "command " + nc.Name
			if oc := d.old.CommandByOpcode(nc.Opcode); oc != nil {
				d.add(Breaking, nc.Pos, where, "takes opcode 0x%04X from %s", nc.Opcode, oc.Name)
				return
			}
			d.add(Additive, nc.Pos, where, "added (0x%04X)", nc.Opcode)
		},
		func(oc *model.Command) {
			d.removed(Breaking, oc.Pos, "command "+oc.Name, "removed (0x%04X)", oc.Opcode)
		})
}

// allowed returns the commands a state accepts, expanding "*" to every
// command of the spec.
func allowed(s *model.Spec, st *model.State) []string {
	if slices.Contains(st.Allow, "*") {
		names := make([]string, len(s.Commands))
		for i, c := range s.Commands {
			names[i] = c.Name
		}
		return names
	}
	return st.Allow
}

func (d *differ) states() {
	byName(d.old.States, d.new.States, func(m *model.StateMachine) string { return m.ID },
		func(om, nm *model.StateMachine) {
			where := "state machine " + nm.ID
			if om.Initial != nm.Initial {
				d.add(Breaking, nm.Pos, where, "initial state %s -> %s", om.Initial, nm.Initial)
			}
			d.text(nm.Pos, where, "name", om.Name, nm.Name)
			d.text(nm.Pos, where, "description", om.Description, nm.Description)
			byName(om.States, nm.States, func(s *model.State) string { return s.Name },
				func(os, ns *model.State) {
					w := where + " state " + ns.Name
					oa, na := allowed(d.old, os), allowed(d.new, ns)
					for _, c := range oa {
						if !slices.Contains(na, c) && d.new.Command(c) != nil {
							d.add(Breaking, ns.Pos, w, "no longer accepts %s", c)
						}
					}
					for _, c := range na {
						if !slices.Contains(oa, c) && d.old.Command(c) != nil {
							d.add(Additive, ns.Pos, w, "now accepts %s", c)
						}
					}
					if os.Reject != ns.Reject {
						d.add(Breaking, ns.Pos, w, "rejects with %s, was %s", ns.Reject, os.Reject)
					}
					if !os.Terminal && ns.Terminal {
						d.add(Breaking, ns.Pos, w, "made terminal")
					} else if os.Terminal && !ns.Terminal {
						d.add(Additive, ns.Pos, w, "no longer terminal")
					}
					d.text(ns.Pos, w, "description", os.Description, ns.Description)
					d.set(ns.Pos, w, "ignored event", os.Ignores, ns.Ignores, Editorial, Editorial)
				},
				func(ns *model.State) { d.add(Additive, ns.Pos, where+" state "+ns.Name, "added") },
				func(os *model.State) { d.removed(Breaking, os.Pos, where+" state "+os.Name, "removed") })
			tkey := func(t *model.Transition) string {
				return t.From + " -> " + t.To + " on " + strings.TrimSpace(t.Command+" "+t.Event)
			}
			byName(om.Transitions, nm.Transitions, tkey,
				func(ot, nt *model.Transition) {
					d.text(nt.Pos, where+" transition "+tkey(nt), "description", ot.Description, nt.Description)
					d.set(nt.Pos, where+" transition "+tkey(nt), "requirement", ot.Requirements, nt.Requirements, Editorial, Editorial)
				},
				func(nt *model.Transition) { d.add(Additive, nt.Pos, where+" transition "+tkey(nt), "added") },
				func(ot *model.Transition) { d.removed(Breaking, ot.Pos, where+" transition "+tkey(ot), "removed") })
		},
		func(nm *model.StateMachine) { d.add(Additive, nm.Pos, "state machine "+nm.ID, "added") },
		func(om *model.StateMachine) { d.removed(Breaking, om.Pos, "state machine "+om.ID, "removed") })
}

func (d *differ) requirements() {
	byName(d.old.Requirements, d.new.Requirements, func(r *model.Requirement) string { return r.ID },
		func(or, nr *model.Requirement) {
			where := "requirement " + nr.ID
			if or.Withdrawn && !nr.Withdrawn {
				d.add(Breaking, nr.Pos, where, "withdrawn id revived")
				d.violation("requirement-reused", nr.Pos, "%s was withdrawn and is used again; a new statement needs a new id", nr.ID)
				return
			}
			if !or.Withdrawn && nr.Withdrawn {
				d.add(Breaking, nr.Pos, where, "withdrawn")
			}
			if or.Level != nr.Level {
				d.add(Breaking, nr.Pos, where, "level %s -> %s", or.Level, nr.Level)
			}
			if or.Profile != nr.Profile {
				d.add(Breaking, nr.Pos, where, "profile %s -> %s", or.Profile, nr.Profile)
			}
			switch {
			case or.Area != nr.Area:
				d.violation("requirement-reused", nr.Pos, "%s moved from area %s to %s: the id names another statement", nr.ID, or.Area, nr.Area)
			case or.Since != nr.Since:
				d.violation("requirement-reused", nr.Pos, "%s since %s -> %s: an id keeps the version that introduced it", nr.ID, or.Since, nr.Since)
			case or.Text != nr.Text && wordOverlap(or.Text, nr.Text) < 0.5:
				d.violation("requirement-reused", nr.Pos, "%s text rewritten (%.0f%% of its words kept): a new statement needs a new id", nr.ID, 100*wordOverlap(or.Text, nr.Text))
			}
			d.text(nr.Pos, where, "text", or.Text, nr.Text)
			d.text(nr.Pos, where, "tested", or.Tested, nr.Tested)
			d.set(nr.Pos, where, "command", or.Commands, nr.Commands, Editorial, Editorial)
		},
		func(nr *model.Requirement) { d.add(Additive, nr.Pos, "requirement "+nr.ID, "added (%s)", nr.Level) },
		func(or *model.Requirement) {
			d.removed(Breaking, or.Pos, "requirement "+or.ID, "removed")
			d.violation("requirement-removed", or.Pos, "%s was removed; mark it withdrawn instead so the id is never reused", or.ID)
		})
}

// wordOverlap is the share of distinct words two texts have in common
// (Jaccard index over lower-cased words).
func wordOverlap(a, b string) float64 {
	words := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
		}) {
			m[w] = true
		}
		return m
	}
	wa, wb := words(a), words(b)
	union := len(wa)
	inter := 0
	for w := range wb {
		if wa[w] {
			inter++
		} else {
			union++
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

func (d *differ) architecture() {
	o, n := &d.old.Architecture, &d.new.Architecture
	byName(o.Roles, n.Roles, func(r *model.Role) string { return r.Name },
		func(or, nr *model.Role) {
			d.text(nr.Pos, "role "+nr.Name, "description", or.Description, nr.Description)
			d.text(nr.Pos, "role "+nr.Name, "authentication", or.Authentication, nr.Authentication)
		},
		func(nr *model.Role) { d.add(Additive, nr.Pos, "role "+nr.Name, "added") },
		func(or *model.Role) { d.removed(Breaking, or.Pos, "role "+or.Name, "removed") })
	byName(o.Limits, n.Limits, func(l *model.Limit) string { return l.Name },
		func(ol, nl *model.Limit) {
			d.bound(nl.Pos, "limit "+nl.Name, "value", ol.Value, nl.Value)
			d.text(nl.Pos, "limit "+nl.Name, "description", ol.Description, nl.Description)
		},
		func(nl *model.Limit) { d.add(Additive, nl.Pos, "limit "+nl.Name, "added (%d)", nl.Value) },
		func(ol *model.Limit) { d.removed(Breaking, ol.Pos, "limit "+ol.Name, "removed") })
	byName(o.Algorithms, n.Algorithms, func(a *model.Algorithm) string { return a.Name },
		func(oa, na *model.Algorithm) {
			where := "algorithm " + na.Name
			if oa.Approved != na.Approved {
				d.add(Breaking, na.Pos, where, "approved %v -> %v", oa.Approved, na.Approved)
			}
			d.set(na.Pos, where, "mode", oa.Modes, na.Modes, Additive, Breaking)
			d.set(na.Pos, where, "size", oa.Sizes, na.Sizes, Additive, Breaking)
			d.text(na.Pos, where, "standard", oa.Standard, na.Standard)
			d.text(na.Pos, where, "self-test", oa.SelfTest, na.SelfTest)
		},
		func(na *model.Algorithm) { d.add(Additive, na.Pos, "algorithm "+na.Name, "added") },
		func(oa *model.Algorithm) { d.removed(Breaking, oa.Pos, "algorithm "+oa.Name, "removed") })
	byName(o.SelfTests, n.SelfTests, func(t *model.SelfTest) string { return t.Name },
		func(ot, nt *model.SelfTest) {
			if !sameJSON(ot, nt) {
				d.add(Editorial, nt.Pos, "self-test "+nt.Name, "changed")
			}
		},
		func(nt *model.SelfTest) { d.add(Additive, nt.Pos, "self-test "+nt.Name, "added") },
		func(ot *model.SelfTest) { d.removed(Breaking, ot.Pos, "self-test "+ot.Name, "removed") })
	om, nm := &o.MaskedKey, &n.MaskedKey
	mk := model.Pos{File: "architecture"}
	if om.Version != nm.Version {
		d.add(Breaking, mk, "masked key", "version %d -> %d", om.Version, nm.Version)
	}
	layout := func(fs []model.ByteField) string {
		var b strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&b, "%s@%s+%s;", f.Name, f.Offset, f.Size)
		}
		return b.String()
	}
	if layout(om.Fields) != layout(nm.Fields) {
		d.add(Breaking, mk, "masked key", "byte layout changed")
	} else if !reflect.DeepEqual(om, nm) {
		d.add(Editorial, mk, "masked key", "description changed")
	}
	for _, p := range []struct {
		name     string
		old, new any
	}{
		{"boundary", o.Boundary, n.Boundary},
		{"services", o.Services, n.Services},
		{"keys", o.Keys, n.Keys},
		{"tamper", o.Tamper, n.Tamper},
	} {
		if !sameJSON(p.old, p.new) {
			d.add(Editorial, model.Pos{File: "architecture"}, p.name, "security policy text changed")
		}
	}
}

func (d *differ) violation(rule string, pos model.Pos, format string, args ...any) {
	d.r.Violations = append(d.r.Violations, Violation{Rule: rule, Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// policy checks the versioning rules that need the whole report.
func (d *differ) policy() {
	o, n := d.r.OldRevision, d.r.NewRevision
	if n.Major < o.Major || n.Major == o.Major && n.Minor < o.Minor {
		d.violation("revision-decreased", d.new.Meta.Pos, "api_revision went back from %s to %s", rev(o), rev(n))
	}
	if b := d.r.Count(Breaking); b > 0 && n.Major <= o.Major {
		d.violation("breaking-without-major", d.new.Meta.Pos, "%d breaking change(s) but api_revision %s -> %s keeps the major revision", b, rev(o), rev(n))
	}
	d.semver()
}

// Bump is a step of a semantic version.
type Bump int

// The steps, smallest first.
const (
	NoBump Bump = iota
	PatchBump
	MinorBump
	MajorBump
)

func (b Bump) String() string {
	return [...]string{"no change", "a patch bump", "a minor bump", "a major bump"}[b]
}

// Required returns the smallest step of the spec version that changes of
// class c need, from a version whose major number is major (Semantic
// Versioning 2.0.0, with the 0.x rule of Cargo and npm: while the major
// number is 0, the minor number plays the major's part and the patch
// number the minor's):
//
//	            1.0.0 and later   0.x
//	breaking    major             minor
//	additive    minor             patch
//	editorial   none (a patch bump is allowed)
func Required(c Class, major int) Bump {
	switch {
	case c == Breaking && major == 0:
		return MinorBump
	case c == Breaking:
		return MajorBump
	case c == Additive && major == 0:
		return PatchBump
	case c == Additive:
		return MinorBump
	}
	return NoBump
}

// Step returns the step from version old to version new, and false when
// new is lower than old. A change of pre-release suffix alone is no step.
func Step(old, new string) (Bump, bool) {
	o1, o2, o3, okO := model.ParseSemver(old)
	n1, n2, n3, okN := model.ParseSemver(new)
	if !okO || !okN {
		return NoBump, true // the lint reports a version that is not semver
	}
	switch {
	case n1 != o1:
		return MajorBump, n1 > o1
	case n2 != o2:
		return MinorBump, n2 > o2
	case n3 != o3:
		return PatchBump, n3 > o3
	}
	return NoBump, true
}

// semver checks the spec version against the changes: it never goes back,
// and it steps at least as far as the most severe change needs.
func (d *differ) semver() {
	ov, nv := d.r.OldVersion, d.r.NewVersion
	step, up := Step(ov, nv)
	if !up {
		d.violation("version-decreased", d.new.Meta.Pos, "spec version went back from %s to %s", ov, nv)
		return
	}
	major, _, _, _ := model.ParseSemver(ov)
	for _, c := range []Class{Breaking, Additive} {
		n := d.r.Count(c)
		if n == 0 {
			continue
		}
		if need := Required(c, major); step < need {
			rule := "semver.org"
			if major == 0 {
				rule = "0.x: the minor number counts as major, the patch number as minor"
			}
			d.violation("version-not-bumped", d.new.Meta.Pos, "%d %s change(s) need %s of the spec version (%s), but %s -> %s is %s", n, c, need, rule, ov, nv, step)
		}
		return // the most severe class decides
	}
}
