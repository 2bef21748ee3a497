package specgen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// genWire writes spec/wire/spec_gen.go (constants, enums, flags) and
// spec/wire/messages_gen.go (opcodes, message types, the command table).
func genWire(s *model.Spec) ([]File, error) {
	a, err := genWireSpec(s)
	if err != nil {
		return nil, err
	}
	b, err := genWireMessages(s)
	if err != nil {
		return nil, err
	}
	return []File{a, b}, nil
}

func genWireSpec(s *model.Spec) (File, error) {
	var p printer
	p.f("%spackage wire\n\nimport \"strconv\"\n\n", header)
	p.f("// Protocol constants (spec: spec.yaml, wire.yaml).\nconst (\n")
	p.f("\t// SpecVersion is the version of the spec this package was generated from.\n\tSpecVersion = %q\n", s.Meta.Version)
	p.f("\t// Revision is the API revision spoken on the wire, major<<8 | minor (%d.%d).\n\tRevision uint16 = 0x%02X%02X\n",
		s.Meta.APIRevision.Major, s.Meta.APIRevision.Minor, s.Meta.APIRevision.Major, s.Meta.APIRevision.Minor)
	p.f("\t// MaxFrame is the largest payload of a frame, in bytes (spec: wire.yaml, framing.max_frame).\n\tMaxFrame = %d\n", s.Wire.Framing.MaxFrame)
	p.f(")\n\n")
	if len(s.Wire.Channel.Labels) > 0 {
		p.f("// Key-derivation and signature labels, byte exact (spec: wire.yaml, channel.labels).\nconst (\n")
		for _, l := range s.Wire.Channel.Labels {
			p.f("\t// Label%s: ", camel(l.Name))
			p.f("%s\n", strings.Join(strings.Fields(l.Doc), " "))
			p.f("\tLabel%s = %q\n", camel(l.Name), l.Value)
		}
		p.f(")\n\n")
	}
	for _, e := range s.Types.Enums {
		genEnum(&p, e)
	}
	for _, f := range s.Types.Flags {
		genFlags(&p, f)
	}
	return goFile("wire/spec_gen.go", p.Bytes())
}

func genEnum(p *printer, e model.Enum) {
	t := e.Name
	p.f("// %s is an enumeration of the spec (spec: types.yaml, %s).\n//\n", t, t)
	p.comment("", e.Doc)
	p.f("type %s uint32\n\n", t)
	p.f("// Values of %s.\nconst (\n", t)
	for _, v := range e.Values {
		p.f("\t// %s%s is %s %d", t, v.Name, t, v.Value)
		if v.Feature != "" {
			p.f(" (feature %s)", v.Feature)
		}
		p.f(": %s\n", strings.Join(strings.Fields(v.Doc), " "))
		p.f("\t%s%s %s = %d\n", t, v.Name, t, v.Value)
	}
	p.f(")\n\n")
	p.f("func (v %s) name() (string, bool) {\n\tswitch v {\n", t)
	for _, v := range e.Values {
		p.f("\tcase %s%s:\n\t\treturn %q, true\n", t, v.Name, v.Name)
	}
	p.f("\t}\n\treturn \"\", false\n}\n\n")
	p.f("// Defined reports whether the spec defines v.\nfunc (v %s) Defined() bool { _, ok := v.name(); return ok }\n\n", t)
	p.f("// String returns the spec name of v, or %s(n) for a value the spec does not define.\n", t)
	p.f("func (v %s) String() string {\n\tif n, ok := v.name(); ok {\n\t\treturn n\n\t}\n\treturn \"%s(\" + strconv.FormatUint(uint64(v), 10) + \")\"\n}\n\n", t, t)
	p.f("// Parse%s returns the value the spec names name.\nfunc Parse%s(name string) (%s, bool) {\n\tswitch name {\n", t, t, t)
	for _, v := range e.Values {
		p.f("\tcase %q:\n\t\treturn %s%s, true\n", v.Name, t, v.Name)
	}
	p.f("\t}\n\treturn 0, false\n}\n\n")
	p.f("// %sValues returns every value of %s in spec order.\nfunc %sValues() []%s {\n\treturn []%s{", t, t, t, t, t)
	for i, v := range e.Values {
		if i > 0 {
			p.f(", ")
		}
		p.f("%s%s", t, v.Name)
	}
	p.f("}\n}\n\n")
}

func genFlags(p *printer, f model.Flags) {
	t := f.Name
	var mask uint64
	p.f("// %s is a bit set of the spec (spec: types.yaml, %s).\n//\n", t, t)
	p.comment("", f.Doc)
	p.f("type %s uint32\n\n", t)
	p.f("// Bits of %s.\nconst (\n", t)
	for _, b := range f.Bits {
		mask |= 1 << b.Bit
		p.f("\t// %s%s is bit %d of %s: %s\n", t, b.Name, b.Bit, t, strings.Join(strings.Fields(b.Doc), " "))
		p.f("\t%s%s %s = 1 << %d\n", t, b.Name, t, b.Bit)
	}
	p.f(")\n\n")
	lower := strings.ToLower(t[:1]) + t[1:]
	p.f("// %sMask holds every bit the spec defines.\nconst %sMask %s = 0x%08X\n\n", lower, lower, t, mask)
	p.f("// Defined reports whether v sets only bits the spec defines.\nfunc (v %s) Defined() bool { return v&^%sMask == 0 }\n\n", t, lower)
	p.f("// Names returns the spec names of the bits set in v, lowest bit first,\n// and false if v sets a bit the spec does not define.\n")
	p.f("func (v %s) Names() ([]string, bool) {\n\tnames := []string{}\n", t)
	for _, b := range f.Bits {
		p.f("\tif v&%s%s != 0 {\n\t\tnames = append(names, %q)\n\t}\n", t, b.Name, b.Name)
	}
	p.f("\treturn names, v.Defined()\n}\n\n")
	p.f("// String returns the names of the bits set in v joined by |, with any\n// bits the spec does not define in hex, or 0.\n")
	p.f("func (v %s) String() string {\n\tnames, _ := v.Names()\n\tif rest := v &^ %sMask; rest != 0 {\n\t\tnames = append(names, \"0x\"+strconv.FormatUint(uint64(rest), 16))\n\t}\n", t, lower)
	p.f("\tif len(names) == 0 {\n\t\treturn \"0\"\n\t}\n\ts := names[0]\n\tfor _, n := range names[1:] {\n\t\ts += \"|\" + n\n\t}\n\treturn s\n}\n\n")
	p.f("// Parse%s returns the set of the bits the spec names names.\nfunc Parse%s(names ...string) (%s, bool) {\n\tvar v %s\n\tfor _, n := range names {\n\t\tswitch n {\n", t, t, t, t)
	for _, b := range f.Bits {
		p.f("\t\tcase %q:\n\t\t\tv |= %s%s\n", b.Name, t, b.Name)
	}
	p.f("\t\tdefault:\n\t\t\treturn 0, false\n\t\t}\n\t}\n\treturn v, true\n}\n\n")
}

// reserved are the method names of Message; a field may not take them.
var reserved = map[string]bool{"Opcode": true, "MessageName": true, "IsResponse": true, "Validate": true, "MapName": true}

func genWireMessages(s *model.Spec) (File, error) {
	var p printer
	p.f("%spackage wire\n\n", header)
	p.f("// Opcodes of the commands (spec: commands/*.yaml).\nconst (\n")
	for _, c := range s.Commands {
		p.f("\t// Op%s is the opcode of %s (spec: %s).\n\tOp%s uint16 = 0x%04X\n", c.Name, c.Name, c.ID, c.Name, c.Opcode)
	}
	p.f(")\n\n")
	for _, c := range s.Commands {
		for _, dir := range []string{"Request", "Response"} {
			fields := c.Request
			if dir == "Response" {
				fields = c.Response
			}
			if err := genMessage(&p, c, dir, fields); err != nil {
				return File{}, err
			}
		}
	}
	for _, m := range s.Types.Maps {
		if err := genPayload(&p, m); err != nil {
			return File{}, err
		}
	}
	p.f("// commandTable is the command registry in opcode order; read only.\nvar commandTable = [...]CommandInfo{\n")
	for _, c := range s.Commands {
		p.f("\t{\n\t\tOpcode: Op%s, Name: %q, ID: %q, Session: %s,\n", c.Name, c.Name, c.ID, sessionConst(c.Session))
		p.f("\t\tRoles: %s,\n", stringSlice(c.Roles))
		if c.Feature != "" {
			p.f("\t\tFeature: %q,\n", c.Feature)
		}
		var errs []string
		for _, e := range c.Errors {
			errs = append(errs, e.Status)
		}
		p.f("\t\tErrors: %s,\n", stringSlice(errs))
		p.f("\t\tRequirements: %s,\n", stringSlice(c.Requirements))
		p.f("\t\tnewRequest: func() Message { return new(%sRequest) },\n", c.Name)
		p.f("\t\tnewResponse: func() Message { return new(%sResponse) },\n\t},\n", c.Name)
	}
	p.f("}\n\n")
	p.f("// PayloadByName returns a new, zero payload of the map of types.yaml the\n// spec names name (e.g. \"KeyAttestationPayload\").\nfunc PayloadByName(name string) (Payload, bool) {\n\tswitch name {\n")
	for _, m := range s.Types.Maps {
		p.f("\tcase %q:\n\t\treturn new(%s), true\n", m.Name, m.Name)
	}
	p.f("\t}\n\treturn nil, false\n}\n\n")
	p.f("// commandIndex returns the index of opcode in commandTable, or -1.\nfunc commandIndex(opcode uint16) int {\n\tswitch opcode {\n")
	for i, c := range s.Commands {
		p.f("\tcase Op%s:\n\t\treturn %d\n", c.Name, i)
	}
	p.f("\t}\n\treturn -1\n}\n")
	return goFile("wire/messages_gen.go", p.Bytes())
}

func sessionConst(s string) string {
	switch s {
	case model.SessionNone:
		return "SessionNone"
	case model.SessionOpens:
		return "SessionOpens"
	case model.SessionCloses:
		return "SessionCloses"
	case model.SessionIn:
		return "SessionIn"
	}
	return strconv.Quote(s)
}

func stringSlice(ss []string) string {
	if len(ss) == 0 {
		return "nil"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

// goScalar is the Go type of a value of spec type t.
func goScalar(f model.Field, t string) string {
	switch t {
	case model.TypeU8:
		return "uint8"
	case model.TypeU16:
		return "uint16"
	case model.TypeU32:
		return "uint32"
	case model.TypeU64:
		return "uint64"
	case model.TypeBool:
		return "bool"
	case model.TypeBytes:
		return "[]byte"
	case model.TypeText:
		return "string"
	case model.TypeEnum:
		return f.Enum
	case model.TypeFlags:
		return f.Flags
	}
	return "invalid"
}

// pointerOptional reports whether an optional field of spec type t is a
// pointer: a zero integer, bool, enum or flags can be meant, an empty byte
// string, text or list cannot (it is the absent field).
func pointerOptional(t string) bool {
	switch t {
	case model.TypeBytes, model.TypeText, model.TypeList:
		return false
	}
	return true
}

func goType(f model.Field) string {
	if f.Type == model.TypeList {
		return "[]" + goScalar(f, f.Items)
	}
	t := goScalar(f, f.Type)
	if f.Optional && pointerOptional(f.Type) {
		return "*" + t
	}
	return t
}

func typeMax(t string) uint64 {
	switch t {
	case model.TypeU8:
		return math.MaxUint8
	case model.TypeU16:
		return math.MaxUint16
	case model.TypeU32:
		return math.MaxUint32
	}
	return math.MaxUint64
}

// bounds returns the inclusive bounds of a size or range, with an omitted
// maximum (0 beside a positive minimum, or both 0) meaning unbounded.
func bounds(r *model.Range, max uint64) (uint64, uint64, bool) {
	if r == nil || (r.Min == 0 && r.Max == 0) {
		return 0, max, false
	}
	if r.Max == 0 {
		return r.Min, max, true
	}
	return r.Min, r.Max, true
}

func genMessage(p *printer, c model.Command, dir string, fields []model.Field) error {
	name := c.Name + dir
	p.f("// %s is the %s of %s, command 0x%04X (spec: %s).\n", name, strings.ToLower(dir), c.Name, c.Opcode, c.ID)
	if c.Summary != "" {
		p.f("//\n")
		p.comment("", c.Summary)
	}
	if err := genStruct(p, name, fields); err != nil {
		return fmt.Errorf("command %s: %w", c.Name, err)
	}
	p.f("// Opcode returns Op%s.\nfunc (*%s) Opcode() uint16 { return Op%s }\n\n", c.Name, name, c.Name)
	p.f("// MessageName returns %q.\nfunc (*%s) MessageName() string { return %q }\n\n", name, name, name)
	p.f("// IsResponse reports %v.\nfunc (*%s) IsResponse() bool { return %v }\n\n", dir == "Response", name, dir == "Response")
	genBody(p, name, c.ID, fields)
	return nil
}

// genPayload writes the type of a map of types.yaml: a Payload, encoded
// and checked like a message body.
func genPayload(p *printer, m model.Map) error {
	p.f("// %s is a map of the spec carried inside a byte string (spec: types.yaml, maps %s).\n//\n", m.Name, m.Name)
	p.comment("", m.Doc)
	if err := genStruct(p, m.Name, m.Fields); err != nil {
		return fmt.Errorf("map %s: %w", m.Name, err)
	}
	p.f("// MapName returns %q.\nfunc (*%s) MapName() string { return %q }\n\n", m.Name, m.Name, m.Name)
	genBody(p, m.Name, "types.yaml "+m.Name, m.Fields)
	return nil
}

func genStruct(p *printer, name string, fields []model.Field) error {
	p.f("type %s struct {\n", name)
	for i, f := range fields {
		g := camel(f.Name)
		if reserved[g] {
			return fmt.Errorf("field %s takes the method name %s", f.Name, g)
		}
		if i > 0 {
			p.f("\n")
		}
		p.f("\t// %s is field %d, %s", g, f.Key, describe(f))
		if f.Optional {
			p.f(", optional")
		}
		p.f(":\n")
		p.comment("\t", f.Doc)
		if f.CoseSign1 != "" {
			p.f("\t//\n\t// A tagged COSE_Sign1 whose payload is a %s.\n", f.CoseSign1)
		}
		tag := fmt.Sprintf("%d,keyasint", f.Key)
		if f.Optional {
			tag += ",omitempty"
		}
		p.f("\t%s %s `cbor:%q`\n", g, goType(f), tag)
	}
	p.f("}\n\n")
	return nil
}

// genBody writes the methods a message and a payload share: reset, the
// CBOR codec, Validate and the JSON form.
func genBody(p *printer, name, id string, fields []model.Field) {
	p.f("func (m *%s) reset() { *m = %s{} }\n\n", name, name)
	genCBOR(p, name, fields)

	// Validate.
	p.f("// Validate checks m against the spec (%s).\nfunc (m *%s) Validate() error {\n", id, name)
	for _, f := range fields {
		genValidate(p, name, f)
	}
	p.f("\treturn nil\n}\n\n")

	// JSON form.
	p.f("func (m *%s) appendJSON(j *jsonWriter) error {\n", name)
	for _, f := range fields {
		genJSON(p, f)
	}
	p.f("\treturn nil\n}\n\n")
}

// describe is the spec type of f for a doc comment.
func describe(f model.Field) string {
	t := f.Type
	switch f.Type {
	case model.TypeEnum:
		t = "enum " + f.Enum
	case model.TypeFlags:
		t = "flags " + f.Flags
	case model.TypeList:
		it := f.Items
		switch it {
		case model.TypeEnum:
			it = f.Enum
		case model.TypeFlags:
			it = f.Flags
		}
		t = "list of " + it
	}
	if lo, hi, ok := bounds(f.Size, math.MaxUint64); ok {
		t += " " + rangeText(lo, hi)
	}
	if lo, hi, ok := bounds(f.Range, typeMax(f.Type)); ok {
		t += " in " + rangeText(lo, hi)
	}
	return t
}

func rangeText(lo, hi uint64) string {
	if hi == math.MaxUint64 {
		return fmt.Sprintf("[%d, ∞)", lo)
	}
	return fmt.Sprintf("[%d, %d]", lo, hi)
}

func maxLit(v uint64) string {
	if v == math.MaxUint64 {
		return "1<<64 - 1"
	}
	return strconv.FormatUint(v, 10)
}

func genValidate(p *printer, msg string, f model.Field) {
	g, n := camel(f.Name), f.Name
	ret := "; err != nil {\n\t\treturn err\n\t}\n"
	switch f.Type {
	case model.TypeBytes, model.TypeText:
		if lo, hi, ok := bounds(f.Size, math.MaxUint64); ok {
			if f.Optional {
				p.f("\tif len(m.%s) > 0 {\n\t", g)
			}
			p.f("\tif err := checkLen(%q, %q, len(m.%s), %d, %s)%s", msg, n, g, lo, maxLit(hi), ret)
			if f.Optional {
				p.f("\t}\n")
			}
		}
	case model.TypeList:
		if lo, hi, ok := bounds(f.Size, math.MaxUint64); ok {
			if f.Optional {
				p.f("\tif len(m.%s) > 0 {\n\t", g)
			}
			p.f("\tif err := checkLen(%q, %q, len(m.%s), %d, %s)%s", msg, n, g, lo, maxLit(hi), ret)
			if f.Optional {
				p.f("\t}\n")
			}
		}
		lo, hi, sized := bounds(f.ItemSize, math.MaxUint64)
		rlo, rhi, ranged := bounds(f.Range, typeMax(f.Items))
		switch {
		case (f.Items == model.TypeBytes || f.Items == model.TypeText) && sized:
			p.f("\tfor i, it := range m.%s {\n\t\tif err := checkItemLen(%q, %q, i, len(it), %d, %s); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n", g, msg, n, lo, maxLit(hi))
		case f.Items == model.TypeEnum:
			p.f("\tfor _, it := range m.%s {\n\t\tif err := checkEnum(%q, %q, it); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n", g, msg, n)
		case isInt(f.Items) && ranged:
			p.f("\tfor _, it := range m.%s {\n\t\tif err := checkRange(%q, %q, uint64(it), %d, %s); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n", g, msg, n, rlo, maxLit(rhi))
		}
	case model.TypeEnum, model.TypeFlags:
		check := "checkEnum"
		if f.Type == model.TypeFlags {
			check = "checkFlags"
		}
		if f.Optional {
			p.f("\tif m.%s != nil {\n\t\tif err := %s(%q, %q, *m.%s)%s\t}\n", g, check, msg, n, g, strings.ReplaceAll(ret, "\n\t", "\n\t\t"))
		} else {
			p.f("\tif err := %s(%q, %q, m.%s)%s", check, msg, n, g, ret)
		}
	default:
		if !isInt(f.Type) {
			return
		}
		lo, hi, ok := bounds(f.Range, typeMax(f.Type))
		if !ok {
			return
		}
		if f.Optional {
			p.f("\tif m.%s != nil {\n\t\tif err := checkRange(%q, %q, uint64(*m.%s), %d, %s)%s\t}\n", g, msg, n, g, lo, maxLit(hi), strings.ReplaceAll(ret, "\n\t", "\n\t\t"))
		} else {
			p.f("\tif err := checkRange(%q, %q, uint64(m.%s), %d, %s)%s", msg, n, g, lo, maxLit(hi), ret)
		}
	}
}

func isInt(t string) bool {
	switch t {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		return true
	}
	return false
}

func genJSON(p *printer, f model.Field) {
	g, n := camel(f.Name), f.Name
	ptr := f.Optional && pointerOptional(f.Type)
	v := "m." + g
	if ptr {
		p.f("\tif m.%s != nil {\n", g)
		v = "*m." + g
	} else if f.Optional {
		p.f("\tif len(m.%s) > 0 {\n", g)
	}
	switch f.Type {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		p.f("\tj.uint(%q, uint64(%s))\n", n, v)
	case model.TypeBool:
		p.f("\tj.bool(%q, %s)\n", n, v)
	case model.TypeBytes:
		p.f("\tj.bytes(%q, %s)\n", n, v)
	case model.TypeText:
		p.f("\tj.text(%q, %s)\n", n, v)
	case model.TypeEnum:
		p.f("\tif err := j.enum(%q, %s); err != nil {\n\t\treturn err\n\t}\n", n, v)
	case model.TypeFlags:
		p.f("\tif err := j.flags(%q, %s); err != nil {\n\t\treturn err\n\t}\n", n, v)
	case model.TypeList:
		var item string
		switch f.Items {
		case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
			item = fmt.Sprintf("j.appendUint(uint64(%s[i]))\n\t\treturn nil", v)
		case model.TypeBytes:
			item = fmt.Sprintf("j.appendBytes(%s[i])\n\t\treturn nil", v)
		case model.TypeText:
			item = fmt.Sprintf("j.appendText(%s[i])\n\t\treturn nil", v)
		case model.TypeEnum:
			item = fmt.Sprintf("return j.appendEnum(%q, %s[i])", n, v)
		}
		p.f("\tif err := j.list(%q, len(%s), func(i int) error {\n\t\t%s\n\t}); err != nil {\n\t\treturn err\n\t}\n", n, v, item)
	}
	if f.Optional {
		p.f("\t}\n")
	}
}
