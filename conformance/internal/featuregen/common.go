package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// elsewhere names the common rows whose scenarios are generated from
// another part of the spec, and where.
var elsewhere = map[string]string{
	"InvalidArgument":           "field-limits.feature (one scenario per command: every field outside its limits)",
	"DeviceNotOperational":      "states.feature (every command the Error state refuses)",
	"DeviceTampered":            "states.feature (every command the Tampered state refuses)",
	"DeviceZeroized":            "states.feature (every command the Zeroized state refuses)",
	"PartitionNotProvisioned":   "states.feature (every command the Unprovisioned state refuses)",
	"SessionNeedsRenegotiation": "states.feature (every command the NeedsRenegotiation state refuses)",
}

// variant is one way of producing a common row's condition: a step per
// command it applies to, and the subset of the row's requirements it
// checks.
type variant struct {
	name string
	reqs []string
	// applies selects the commands; nil is every command the row
	// applies to.
	applies func(*model.Command) bool
	// step returns the request steps for a command.
	step func(c *model.Command) ([]string, error)
	// single, when set, is the whole scenario (not per command),
	// including its status checks.
	single []string
	tags   []string
}

// commonVariants returns the variants of a common row; a row without
// variants that is not generated elsewhere stops the generator.
func (g *gen) commonVariants(r model.ErrorRow) ([]variant, string, error) {
	plaintext := func(c *model.Command) bool { return !isSession(c) }
	filled := func(mod string) func(c *model.Command) ([]string, error) {
		return func(c *model.Command) ([]string, error) {
			t, err := g.fill(c)
			if err != nil {
				return nil, err
			}
			return send("When", c.Name, mod, t...), nil
		}
	}
	switch {
	case r.Status == "DecodeFailed" && r.Unaddressed:
		return []variant{{name: "a payload that is not a CBOR envelope", reqs: []string{"IHSM-WIRE-002"},
			single: []string{`When I send a raw frame "ff"`, status(r.Status),
				"Then the response header field request_id is 0", "Then the response header field opcode is 0x0000"}}}, "", nil
	case r.Status == "Busy":
		return nil, "A device answers Busy when it takes no more connections or requests now; when that happens depends on the device's own limits and load, which no client can set, and a device that serves every request it is sent is conforming.", nil
	}
	switch r.Status {
	case "DecodeFailed":
		return []variant{
			{name: "a body with a key its request does not define", reqs: []string{"IHSM-WIRE-003"},
				step: func(c *model.Command) ([]string, error) {
					return []string{"When I send " + c.Name + " with an unknown body field"}, nil
				}},
			{name: "a plaintext body whose map head is not in its shortest form", reqs: []string{"IHSM-WIRE-002"}, applies: plaintext,
				step: func(c *model.Command) ([]string, error) {
					return []string{"When I send " + c.Name + " with a non-canonical body"}, nil
				}},
		}, "", nil
	case "FrameTooLarge":
		return []variant{{name: "a length prefix one above max_frame", reqs: r.Requirements,
			single: []string{fmt.Sprintf("When I send a length prefix of %d bytes", g.s.Wire.Framing.MaxFrame+1), status(r.Status)}}}, "", nil
	case "UnsupportedRevision":
		return []variant{{name: "a request of revision 0x7F00", reqs: r.Requirements,
			// GetApiRevision answers whatever the revision (spec:
			// IHSM-WIRE-004), so a client can learn what to speak.
			applies: func(c *model.Command) bool { return c.Name != "GetApiRevision" },
			step: func(c *model.Command) ([]string, error) {
				return []string{fmt.Sprintf("When I send opcode 0x%04X with revision 0x7F00", c.Opcode)}, nil
			}}}, "", nil
	case "UnknownOpcode":
		var steps []string
		for _, op := range g.unusedOpcodes() {
			steps = append(steps, fmt.Sprintf("When I send opcode 0x%04X", op), status(r.Status),
				fmt.Sprintf("Then the response header field opcode is 0x%04X", op))
		}
		return []variant{{name: "the first unassigned opcode of every command area", reqs: r.Requirements, single: steps}}, "", nil
	case "InternalError":
		return nil, "A conforming device answers InternalError only when it fails in a way no other status describes; no request or control operation makes a correct device fail internally, and the suite checks the other half of the row (every well-framed request gets a status of the registry) on every response.", nil
	case "SessionNotExpected":
		return []variant{{name: "a header session id", reqs: r.Requirements, step: func(c *model.Command) ([]string, error) {
			if c.Session == model.SessionOpens {
				return []string{"When I send " + c.Name + " with session id 1"}, nil
			}
			return filled("with session id 1")(c)
		}}}, "", nil
	case "SessionExpected":
		return []variant{{name: "no header session id", reqs: r.Requirements, step: filled("without a session")}}, "", nil
	case "SessionNotFound":
		return []variant{
			{name: "a session id that names no open session", reqs: []string{"IHSM-SES-007"}, step: filled("with session id 4294967295")},
			{name: "a session of the other partition", reqs: []string{"IHSM-PAR-002"}, tags: []string{tagTwoPartitions},
				applies: func(c *model.Command) bool { return c.Name == "ListKeys" },
				single: []string{"Given a provisioned partition", "Given an open session as \"a\"", "When I switch to partition B",
					"Given a provisioned partition", "When I send ListKeys in session \"a\" of partition A", status(r.Status)}},
		}, "", nil
	case "ChannelRequired":
		return []variant{{name: "a plaintext body", reqs: r.Requirements, step: filled("in plaintext")}}, "", nil
	case "ChannelSequenceError":
		return []variant{
			{name: "a sequence that skips ahead", reqs: []string{"IHSM-CHN-004"}, step: filled("skipping a sequence number")},
			{name: "a replayed sealed request", reqs: []string{"IHSM-CHN-003"},
				single: []string{"Given a provisioned partition", "Given an open session", "When I send ListKeys", status("Success"), "When I replay the last request", status(r.Status)}},
		}, "", nil
	case "ChannelAuthFailed":
		return []variant{{name: "a sealed body with one bit flipped", reqs: r.Requirements, step: filled("with a tampered seal")}}, "", nil
	}
	if _, ok := elsewhere[r.Status]; ok {
		return nil, "", nil
	}
	return nil, "", fmt.Errorf("common error %s: no recipe (add one to conformance/internal/featuregen, or a reason)", r.Status)
}

// unusedOpcodes returns, for each command area (the opcode's high byte),
// the opcode after the area's last command.
func (g *gen) unusedOpcodes() []uint16 {
	last := map[uint16]uint16{}
	for _, c := range g.s.Commands {
		a := c.Opcode >> 8
		last[a] = max(last[a], c.Opcode)
	}
	var out []uint16
	for _, op := range last {
		if g.s.CommandByOpcode(op+1) == nil {
			out = append(out, op+1)
		}
	}
	slices.Sort(out)
	return out
}

// commonErrors is common-errors.feature: for every common row of
// wire.yaml, a scenario per variant and profile that sends every command
// the row applies to in the row's condition. Commands that would wipe the
// partition if a device executed them by mistake get their own
// @destructive scenario.
func (g *gen) commonErrors() (*feature, error) {
	f := &feature{
		file:  "common-errors.feature",
		title: "Every common error of wire.yaml, for every command it applies to",
		desc: "For each row of wire.yaml common_errors, one scenario per way of producing it and per profile, " +
			"sending every command the row applies to. Rows whose condition is a state of the device, the partition " +
			"or the session are in states.feature; InvalidArgument is in field-limits.feature.",
	}
	for _, r := range g.s.Wire.CommonErrors {
		vs, reason, err := g.commonVariants(r)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			f.scenarios = append(f.scenarios, &scenario{
				name: fmt.Sprintf("Any command answers %s when %s", r.Status, sentence(r.When)), profile: "baseline",
				tags: []string{tagNotMechanical}, reqs: r.Requirements, desc: "Not produced mechanically: " + reason,
			})
			continue
		}
		for _, v := range vs {
			for _, id := range v.reqs {
				if !slices.Contains(r.Requirements, id) {
					return nil, fmt.Errorf("common error %s: variant %q names %s, not a requirement of the row", r.Status, v.name, id)
				}
			}
			if v.single != nil {
				f.scenarios = append(f.scenarios, &scenario{
					name: fmt.Sprintf("%s answers %s", capital(v.name), r.Status), profile: "baseline",
					tags: v.tags, reqs: v.reqs, steps: v.single,
				})
				continue
			}
			type group struct {
				profile     string
				destructive bool
			}
			cmds := map[group][]*model.Command{}
			for _, c := range g.commandsSorted() {
				if !g.s.Applies(&r, c) || (v.applies != nil && !v.applies(c)) {
					continue
				}
				k := group{g.profileOf(c), g.destructive(c)}
				cmds[k] = append(cmds[k], c)
			}
			var keys []group
			for k := range cmds {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				if keys[i].profile != keys[j].profile {
					return keys[i].profile < keys[j].profile
				}
				return !keys[i].destructive
			})
			for _, k := range keys {
				cs := cmds[k]
				var steps []string
				needSession := false
				for _, c := range cs {
					needSession = needSession || isSession(c)
				}
				steps = append(steps, "Given a provisioned partition")
				if needSession {
					steps = append(steps, "Given an open session")
				}
				var names []string
				for _, c := range cs {
					s, err := v.step(c)
					if err != nil {
						return nil, err
					}
					steps = append(steps, s...)
					steps = append(steps, status(r.Status))
					names = append(names, c.Name)
				}
				sc := &scenario{
					name:    fmt.Sprintf("%s answer %s to %s", commandList(names), r.Status, v.name),
					profile: k.profile, tags: v.tags, reqs: v.reqs, steps: steps,
				}
				switch {
				case k.destructive:
					sc.tags = append(slices.Clone(sc.tags), tagDestructive, tagSerial)
				case slices.ContainsFunc(cs, g.consumesNonce):
					sc.tags = append(slices.Clone(sc.tags), tagSerial)
				}
				f.scenarios = append(f.scenarios, sc)
			}
		}
	}
	return f, nil
}

// commandList names commands for a scenario name: "Sign", "Sign and
// Verify", or "The 19 commands GenerateKey … Hmac" when long.
func commandList(names []string) string {
	switch {
	case len(names) == 1:
		return names[0]
	case len(names) <= 3:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return fmt.Sprintf("The %d commands %s to %s", len(names), names[0], names[len(names)-1])
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fieldLimits is field-limits.feature: for every command, one scenario
// sending every request field outside its limits (missing when required,
// one byte or item over its size, one under its minimum, outside its
// numeric range, an undefined enum value or flag bit), each refused with
// InvalidArgument (spec: wire.yaml common_errors, IHSM-WIRE-006,
// IHSM-LIM-001).
func (g *gen) fieldLimits() (*feature, error) {
	f := &feature{
		file:  "field-limits.feature",
		title: "Every request field outside its limits",
		desc: "For every command, each request field is sent missing (when required), one byte over its size limit, " +
			"one under its minimum, outside its numeric range, or with an undefined enum value or flag bit, the other " +
			"fields well-formed; each request is refused with InvalidArgument, and refused requests change nothing.",
	}
	var row *model.ErrorRow
	for i := range g.s.Wire.CommonErrors {
		if g.s.Wire.CommonErrors[i].Status == "InvalidArgument" {
			row = &g.s.Wire.CommonErrors[i]
		}
	}
	if row == nil {
		return nil, fmt.Errorf("wire.yaml has no InvalidArgument common error")
	}
	for _, c := range g.commandsSorted() {
		var steps []string
		reqs := slices.Clone(row.Requirements)
		for _, fld := range c.Request {
			for _, bad := range g.outside(&fld) {
				over := []kv{{fld.Name, bad.value}}
				if bad.value == "absent" {
					over = []kv{{fld.Name, "absent"}}
				}
				t, err := g.fill(c, over...)
				if err != nil {
					return nil, err
				}
				steps = append(steps, "# "+fld.Name+": "+bad.what)
				steps = append(steps, send("When", c.Name, "", t...)...)
				steps = append(steps, status("InvalidArgument"))
				reqs = append(reqs, bad.reqs...)
				reqs = append(reqs, fieldReqs[fld.Name]...)
			}
		}
		if len(steps) == 0 {
			continue
		}
		head := []string{"Given a provisioned partition"}
		if isSession(c) {
			head = append(head, "Given an open session")
		}
		sc := &scenario{
			name:    fmt.Sprintf("%s refuses every request field outside its limits", c.Name),
			profile: g.profileOf(c), reqs: reqs, steps: append(head, steps...),
		}
		if g.consumesNonce(c) {
			sc.tags = []string{tagSerial}
		}
		f.scenarios = append(f.scenarios, sc)
	}
	return f, nil
}

// fieldReqs are the requirements on the limits of particular fields.
var fieldReqs = map[string][]string{
	"label":       {"IHSM-LIM-003"},
	"report_data": {"IHSM-LIM-002"},
	"data":        {"IHSM-LIM-004", "IHSM-CRY-018"},
	"message":     {"IHSM-LIM-004", "IHSM-CRY-018"},
	"plaintext":   {"IHSM-LIM-004", "IHSM-CRY-018"},
	"ciphertext":  {"IHSM-LIM-004"},
}

// consumesNonce reports whether c takes a sealed PIN: every attempt,
// refused or not, may consume the endpoint's one outstanding credential
// nonce (spec: IHSM-PRV-015), so a scenario sending it outside the
// suite's credential exchange runs alone. Its table always carries the
// sealed PIN, so the suite's exchange never fills in the field under
// test.
func (g *gen) consumesNonce(c *model.Command) bool {
	return model.Lookup(c.Request, "sealed_pin") != nil
}

type badValue struct {
	value, what string
	reqs        []string
}

// outside returns the values of f outside its limits.
func (g *gen) outside(f *model.Field) []badValue {
	var out []badValue
	if !f.Optional {
		out = append(out, badValue{"absent", "a required field is missing", nil})
	}
	switch f.Type {
	case model.TypeBytes, model.TypeText:
		if f.Size == nil {
			break
		}
		out = append(out, badValue{fmt.Sprintf("random:%d", f.Size.Max+1), fmt.Sprintf("%d bytes, one over the maximum", f.Size.Max+1), []string{"IHSM-LIM-001"}})
		// An empty optional field is absent (spec: wire.yaml encoding),
		// so only a required field or a minimum above one can be short.
		if f.Size.Min > 1 || (f.Size.Min == 1 && !f.Optional) {
			out = append(out, badValue{fmt.Sprintf("zeros:%d", f.Size.Min-1), fmt.Sprintf("%d bytes, one under the minimum", f.Size.Min-1), []string{"IHSM-LIM-001"}})
		}
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		if f.Range == nil {
			break
		}
		if f.Range.Min > 0 {
			out = append(out, badValue{fmt.Sprint(f.Range.Min - 1), "one under the range", nil})
		}
		if f.Range.Max < typeMax[f.Type] {
			out = append(out, badValue{fmt.Sprint(f.Range.Max + 1), "one over the range", nil})
		}
	case model.TypeEnum:
		if e := g.s.Enum(f.Enum); e != nil {
			v := uint32(1)
			for _, ev := range e.Values {
				v = max(v, ev.Value+1)
			}
			out = append(out, badValue{fmt.Sprint(v), "an undefined enum value", nil})
		}
	case model.TypeFlags:
		if fl := g.s.Flags(f.Flags); fl != nil {
			for bit := 0; bit < 32; bit++ {
				if !slices.ContainsFunc(fl.Bits, func(b model.Bit) bool { return b.Bit == bit }) {
					out = append(out, badValue{fmt.Sprintf("0x%X", uint64(1)<<bit), fmt.Sprintf("undefined bit %d", bit), nil})
					break
				}
			}
		}
	}
	return out
}

var typeMax = map[string]uint64{model.TypeU8: 0xFF, model.TypeU16: 0xFFFF, model.TypeU32: 0xFFFFFFFF, model.TypeU64: ^uint64(0)}
