package specgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// schemaBase is where the JSON Schemas of the wire messages are identified
// (never fetched: validators load them from wire.SchemaFS).
const schemaBase = "https://openihsm.org/spec/wire/schema/"

// obj is a JSON object that keeps its members in insertion order, so the
// generated files read in field order and never depend on map order.
type obj []member

type member struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func jsonFile(path string, v any) (File, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return File{Path: path, Data: b.Bytes()}, nil
}

// genSchemas writes one JSON Schema (draft 2020-12) per request, response,
// map of types.yaml and header into spec/wire/schema, describing the JSON
// form of wire.ToJSON.
func genSchemas(s *model.Spec) ([]File, error) {
	var files []File
	add := func(name, desc string, fields []model.Field, props func(model.Field) any) error {
		o := obj{
			{"$schema", "https://json-schema.org/draft/2020-12/schema"},
			{"$id", schemaBase + name + ".json"},
			{"title", name},
			{"description", desc},
			{"type", "object"},
		}
		var ps obj
		required := []string{}
		for _, f := range fields {
			ps = append(ps, member{f.Name, props(f)})
			if !f.Optional {
				required = append(required, f.Name)
			}
		}
		if ps == nil {
			ps = obj{}
		}
		o = append(o, member{"properties", ps}, member{"required", required}, member{"additionalProperties", false})
		f, err := jsonFile("wire/schema/"+name+".json", o)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	fieldSchema := func(f model.Field) any { return schemaOf(s, f) }
	for _, c := range s.Commands {
		for _, dir := range []string{"Request", "Response"} {
			fields := c.Request
			if dir == "Response" {
				fields = c.Response
			}
			desc := fmt.Sprintf("JSON form of the %s of %s, command 0x%04X (spec: %s).", strings.ToLower(dir), c.Name, c.Opcode, c.ID)
			if err := add(c.Name+dir, desc, fields, fieldSchema); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range s.Types.Maps {
		desc := fmt.Sprintf("JSON form of the map %s, carried inside a byte string (spec: types.yaml, maps).", m.Name)
		if err := add(m.Name, desc, m.Fields, fieldSchema); err != nil {
			return nil, err
		}
	}
	var statuses []string
	for _, st := range withoutWithdrawn(s).Status {
		statuses = append(statuses, st.Name)
	}
	header := func(f model.Field) any {
		if f.Name == "status" {
			return obj{{"description", oneLine(f.Doc) + " Shown by its spec name (status.yaml)."}, {"enum", statuses}}
		}
		return schemaOf(s, f)
	}
	if err := add("RequestHeader", "JSON form of the request header (spec: wire.yaml, request_header).", s.Wire.RequestHeader, header); err != nil {
		return nil, err
	}
	if err := add("ResponseHeader", "JSON form of the response header (spec: wire.yaml, response_header).", s.Wire.ResponseHeader, header); err != nil {
		return nil, err
	}
	return files, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// b64Len is the length of the padded base64 encoding of n bytes.
func b64Len(n uint64) uint64 { return (n + 2) / 3 * 4 }

func schemaOf(s *model.Spec, f model.Field) any {
	o := obj{{"description", oneLine(f.Doc)}}
	if f.Type == model.TypeList {
		lo, hi, ok := bounds(f.Size, math.MaxUint64)
		if f.Optional && lo == 0 {
			lo, ok = 1, true // an empty optional list is the absent field
		}
		o = append(o, member{"type", "array"}, member{"items", scalarSchema(s, f, f.Items, f.ItemSize)})
		if ok {
			o = append(o, member{"minItems", lo})
			if hi != math.MaxUint64 {
				o = append(o, member{"maxItems", hi})
			}
		}
		return o
	}
	size := f.Size
	if f.Optional && (f.Type == model.TypeBytes || f.Type == model.TypeText) {
		lo, hi, _ := bounds(size, 0)
		if lo == 0 {
			lo = 1 // an empty optional byte or text string is the absent field
		}
		size = &model.Range{Min: lo, Max: hi}
	}
	for _, m := range scalarSchema(s, f, f.Type, size) {
		o = append(o, m)
	}
	if f.CoseSign1 != "" {
		// The byte string is a COSE_Sign1 whose payload has this schema.
		o = append(o, member{"x-cose-sign1-payload", schemaBase + f.CoseSign1 + ".json"})
	}
	return o
}

func scalarSchema(s *model.Spec, f model.Field, t string, size *model.Range) obj {
	switch t {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		lo, hi, _ := bounds(f.Range, typeMax(t))
		return obj{{"type", "integer"}, {"minimum", lo}, {"maximum", hi}}
	case model.TypeBool:
		return obj{{"type", "boolean"}}
	case model.TypeBytes:
		o := obj{{"type", "string"}, {"contentEncoding", "base64"}, {"pattern", "^[A-Za-z0-9+/]*={0,2}$"}}
		if lo, hi, ok := bounds(size, math.MaxUint64); ok {
			// Byte bounds as bounds on the padded base64 length; the exact
			// byte bounds are kept as annotations.
			o = append(o, member{"minLength", b64Len(lo)}, member{"x-minBytes", lo})
			if hi != math.MaxUint64 {
				o = append(o, member{"maxLength", b64Len(hi)}, member{"x-maxBytes", hi})
			}
		}
		return o
	case model.TypeText:
		o := obj{{"type", "string"}}
		if lo, hi, ok := bounds(size, math.MaxUint64); ok {
			// JSON Schema counts characters and the spec UTF-8 bytes: a
			// character is 1 to 4 bytes.
			o = append(o, member{"minLength", (lo + 3) / 4}, member{"x-minBytes", lo})
			if hi != math.MaxUint64 {
				o = append(o, member{"maxLength", hi}, member{"x-maxBytes", hi})
			}
		}
		return o
	case model.TypeEnum:
		var names []string
		for _, e := range s.Types.Enums {
			if e.Name == f.Enum {
				for _, v := range e.Values {
					names = append(names, v.Name)
				}
			}
		}
		return obj{{"type", "string"}, {"enum", names}, {"x-enum", f.Enum}}
	case model.TypeFlags:
		var names []string
		for _, fl := range s.Types.Flags {
			if fl.Name == f.Flags {
				for _, b := range fl.Bits {
					names = append(names, b.Name)
				}
			}
		}
		return obj{{"type", "array"}, {"items", obj{{"enum", names}}}, {"uniqueItems", true}, {"x-flags", f.Flags}}
	}
	return obj{}
}
