package specgen

import (
	"fmt"

	"github.com/openihsm/openihsm/spec/model"
)

// genCBOR writes the appendCBOR and decodeCBOR methods of one message: the
// fields in key order, each written with the primitives of spec/wire/body.go.
func genCBOR(p *printer, name string, fields []model.Field) {
	sorted := append([]model.Field(nil), fields...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Key < sorted[j-1].Key; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	// Encoder: count the fields present, then write them in key order
	// (map keys sorted bytewise, RFC 8949 §4.2.1).
	p.f("func (m *%s) appendCBOR(b []byte) []byte {\n", name)
	required := 0
	for _, f := range sorted {
		if !f.Optional {
			required++
		}
	}
	if required == len(sorted) {
		p.f("\tb = appendHead(b, majorMap, %d)\n", required)
	} else {
		p.f("\tn := uint64(%d)\n", required)
		for _, f := range sorted {
			if f.Optional {
				p.f("\tif %s {\n\t\tn++\n\t}\n", present(f))
			}
		}
		p.f("\tb = appendHead(b, majorMap, n)\n")
	}
	for _, f := range sorted {
		g := "m." + camel(f.Name)
		if f.Optional {
			p.f("\tif %s {\n", present(f))
			if pointerOptional(f.Type) {
				g = "*" + g
			}
		}
		p.f("\tb = append(b, %d)\n", f.Key)
		if f.Type == model.TypeList {
			p.f("\tb = appendHead(b, majorArray, uint64(len(%s)))\n\tfor _, it := range %s {\n", g, g)
			p.f("\t\t%s\n\t}\n", appendValue(f.Items, "it"))
		} else {
			p.f("\t%s\n", appendValue(f.Type, g))
		}
		if f.Optional {
			p.f("\t}\n")
		}
	}
	p.f("\treturn b\n}\n\n")

	// Decoder.
	var req uint32
	for _, f := range sorted {
		if !f.Optional {
			req |= 1 << f.Key
		}
	}
	p.f("func (m *%s) decodeCBOR(d *decoder) error {\n", name)
	p.f("\tn, err := d.mapHead()\n\tif err != nil {\n\t\treturn err\n\t}\n")
	if len(sorted) == 0 {
		p.f("\tif n != 0 {\n\t\treturn errUnknownKey\n\t}\n\treturn nil\n}\n\n")
		return
	}
	p.f("\tvar seen uint32\n\tfor range n {\n\t\tk, err := d.key()\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tseen |= 1 << k\n\t\tswitch k {\n")
	for _, f := range sorted {
		g := "m." + camel(f.Name)
		p.f("\t\tcase %d:\n", f.Key)
		if f.Type == model.TypeList {
			p.f("\t\t\tcount, err := d.array(%v)\n\t\t\tif err != nil {\n\t\t\t\treturn err\n\t\t\t}\n", f.Optional)
			p.f("\t\t\t%s = make(%s, count)\n\t\t\tfor i := range %s {\n", g, goType(f), g)
			decodeValue(p, "\t\t\t\t", f, f.Items, g+"[i]", false, false)
			p.f("\t\t\t}\n")
			continue
		}
		decodeValue(p, "\t\t\t", f, f.Type, g, f.Optional, f.Optional && pointerOptional(f.Type))
	}
	p.f("\t\tdefault:\n\t\t\treturn errUnknownKey\n\t\t}\n\t}\n")
	p.f("\treturn missing(%q, seen, 0x%X)\n}\n\n", name, req)
}

// present is the Go condition for an optional field being present.
func present(f model.Field) string {
	if pointerOptional(f.Type) {
		return "m." + camel(f.Name) + " != nil"
	}
	return "len(m." + camel(f.Name) + ") > 0"
}

func appendValue(t, v string) string {
	switch t {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64, model.TypeEnum, model.TypeFlags:
		return fmt.Sprintf("b = appendHead(b, majorUint, uint64(%s))", v)
	case model.TypeBool:
		return fmt.Sprintf("b = appendBool(b, %s)", v)
	case model.TypeBytes:
		return fmt.Sprintf("b = appendBytes(b, %s)", v)
	case model.TypeText:
		return fmt.Sprintf("b = appendText(b, %s)", v)
	}
	return "invalid"
}

func decodeValue(p *printer, ind string, f model.Field, t, dst string, optional, ptr bool) {
	errRet := fmt.Sprintf("%sif err != nil {\n%s\treturn err\n%s}\n", ind, ind, ind)
	var conv, max string
	switch t {
	case model.TypeU8:
		conv, max = "uint8", "0xFF"
	case model.TypeU16:
		conv, max = "uint16", "0xFFFF"
	case model.TypeU32:
		conv, max = "uint32", "0xFFFFFFFF"
	case model.TypeU64:
		conv, max = "uint64", "1<<64 - 1"
	case model.TypeEnum:
		conv, max = goScalar(f, t), "0xFFFFFFFF"
	case model.TypeFlags:
		conv, max = goScalar(f, t), "0xFFFFFFFF"
	case model.TypeBool:
		p.f("%sv, err := d.bool()\n%s", ind, errRet)
	case model.TypeBytes:
		p.f("%sv, err := d.bytes(%v)\n%s", ind, optional, errRet)
	case model.TypeText:
		p.f("%sv, err := d.text(%v)\n%s", ind, optional, errRet)
	}
	val := "v"
	if conv != "" {
		p.f("%sv, err := d.uint(%s)\n%s", ind, max, errRet)
		val = conv + "(v)"
	}
	if ptr {
		p.f("%sx := %s\n%s%s = &x\n", ind, val, ind, dst)
		return
	}
	p.f("%s%s = %s\n", ind, dst, val)
}
