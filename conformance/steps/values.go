package steps

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// absentValue marks a field the scenario leaves out of the request.
type absentValue struct{}

var absent any = absentValue{}

// parseValue turns a table cell into the CBOR value of field f (see the
// value syntax in the package comment).
func (s *Scenario) parseValue(f *model.Field, v string) (any, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "absent":
		return absent, nil
	case strings.HasPrefix(v, "@"):
		val, ok := s.saved[v[1:]]
		if !ok {
			return nil, fmt.Errorf("nothing saved as %s", v)
		}
		if b, ok := val.([]byte); ok && f.Type == model.TypeText {
			return string(b), nil
		}
		return val, nil
	case strings.HasPrefix(v, "hex:"):
		b, err := hex.DecodeString(strings.TrimPrefix(v, "hex:"))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", v, err)
		}
		return textOrBytes(f, b), nil
	case strings.HasPrefix(v, "random:"), strings.HasPrefix(v, "zeros:"):
		n, err := strconv.Atoi(v[strings.IndexByte(v, ':')+1:])
		if err != nil || n < 0 || n > 1<<20 {
			return nil, fmt.Errorf("%q: bad length", v)
		}
		b := make([]byte, n)
		if strings.HasPrefix(v, "random:") {
			rand.Read(b)
			if f.Type == model.TypeText {
				for i := range b {
					b[i] = 'a' + b[i]%26
				}
			}
		}
		return textOrBytes(f, b), nil
	case strings.HasPrefix(v, "text:"):
		return textOrBytes(f, []byte(strings.TrimPrefix(v, "text:"))), nil
	}
	switch f.Type {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		return parseUint(v)
	case model.TypeBool:
		return strconv.ParseBool(v)
	case model.TypeText:
		return v, nil
	case model.TypeBytes:
		return nil, fmt.Errorf("%q: bytes need hex:, random:, zeros:, text: or @name", v)
	case model.TypeEnum:
		return s.enumValue(f.Enum, v)
	case model.TypeFlags:
		return s.flagsValue(f.Flags, v)
	case model.TypeList:
		return s.listValue(f, v)
	}
	return nil, fmt.Errorf("field type %q cannot be given in a table", f.Type)
}

func textOrBytes(f *model.Field, b []byte) any {
	if f.Type == model.TypeText {
		return string(b)
	}
	return b
}

func parseUint(v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an unsigned integer", v)
	}
	return n, nil
}

func (s *Scenario) enumValue(enum, v string) (uint64, error) {
	if n, err := strconv.ParseUint(v, 0, 32); err == nil {
		return n, nil
	}
	e := s.env.Spec.Enum(enum)
	if e == nil {
		return 0, fmt.Errorf("the spec has no enum %s", enum)
	}
	for _, ev := range e.Values {
		if ev.Name == v {
			return uint64(ev.Value), nil
		}
	}
	return 0, fmt.Errorf("%s has no value %q", enum, v)
}

func (s *Scenario) flagsValue(flags, v string) (uint64, error) {
	if n, err := strconv.ParseUint(v, 0, 32); err == nil {
		return n, nil
	}
	if v == "none" {
		return 0, nil
	}
	fl := s.env.Spec.Flags(flags)
	if fl == nil {
		return 0, fmt.Errorf("the spec has no flags %s", flags)
	}
	var out uint64
	for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == '|' || r == ',' || r == ' ' }) {
		i := slices.IndexFunc(fl.Bits, func(b model.Bit) bool { return b.Name == name })
		if i < 0 {
			return 0, fmt.Errorf("%s has no bit %q", flags, name)
		}
		out |= 1 << fl.Bits[i].Bit
	}
	return out, nil
}

// listValue parses "[a, b]" into a list of items of f.Items.
func (s *Scenario) listValue(f *model.Field, v string) ([]any, error) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
	item := &model.Field{Name: f.Name, Type: f.Items, Enum: f.Enum}
	out := []any{}
	if v == "" {
		return out, nil
	}
	for _, p := range strings.Split(v, ",") {
		x, err := s.parseValue(item, p)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// responseValue returns a field of x's response in the same native form
// parseValue gives: uint64 for integers, enums and flags, []byte, string,
// bool, or []any for a list.
func (s *Scenario) responseValue(x *exchange, name string) (any, error) {
	if x == nil {
		return nil, fmt.Errorf("no request was sent")
	}
	if x.cmd == nil || x.fields == nil {
		return nil, fmt.Errorf("the last response (%s) has no body", x.status.Name())
	}
	f := model.Lookup(x.cmd.Response, name)
	if f == nil {
		return nil, fmt.Errorf("%s has no response field %q", x.cmd.Name, name)
	}
	raw, ok := x.fields[name]
	if !ok {
		return absent, nil
	}
	return s.fromJSON(f, f.Type, raw)
}

func (s *Scenario) fromJSON(f *model.Field, typ string, raw any) (any, error) {
	switch typ {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		n, ok := raw.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s: not a number", f.Name)
		}
		return parseUint(n.String())
	case model.TypeBool:
		b, ok := raw.(bool)
		if !ok {
			return nil, fmt.Errorf("%s: not a bool", f.Name)
		}
		return b, nil
	case model.TypeBytes:
		str, _ := raw.(string)
		return base64.StdEncoding.DecodeString(str)
	case model.TypeText:
		str, _ := raw.(string)
		return str, nil
	case model.TypeEnum:
		str, _ := raw.(string)
		return s.enumValue(f.Enum, str)
	case model.TypeFlags:
		list, _ := raw.([]any)
		names := make([]string, 0, len(list))
		for _, n := range list {
			str, _ := n.(string)
			names = append(names, str)
		}
		if len(names) == 0 {
			return uint64(0), nil
		}
		return s.flagsValue(f.Flags, strings.Join(names, "|"))
	case model.TypeList:
		list, _ := raw.([]any)
		out := make([]any, 0, len(list))
		for _, it := range list {
			v, err := s.fromJSON(f, f.Items, it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unknown type %q", f.Name, typ)
}

// equalValues compares two native values.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func showValue(v any) string {
	switch x := v.(type) {
	case []byte:
		return "hex:" + hex.EncodeToString(x)
	case absentValue:
		return "absent"
	}
	return fmt.Sprint(v)
}
