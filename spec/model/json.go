package model

import (
	"encoding/json"
	"reflect"
	"strings"
)

// JSON returns the spec as indented JSON whose keys are the YAML keys of the
// spec files (snake_case), with Spec's top-level parts under meta, wire,
// types, status, commands, state_machines, requirements and architecture.
// It is what `ihsm spec dump` prints and what the site reads.
func (s *Spec) JSON() ([]byte, error) {
	top := map[string]any{
		"meta":           jsonValue(reflect.ValueOf(s.Meta)),
		"wire":           jsonValue(reflect.ValueOf(s.Wire)),
		"types":          jsonValue(reflect.ValueOf(s.Types)),
		"status":         jsonValue(reflect.ValueOf(s.Status)),
		"commands":       jsonValue(reflect.ValueOf(s.Commands)),
		"state_machines": jsonValue(reflect.ValueOf(s.States)),
		"requirements":   jsonValue(reflect.ValueOf(s.Requirements)),
		"architecture":   jsonValue(reflect.ValueOf(s.Architecture)),
	}
	return json.MarshalIndent(top, "", "  ")
}

// jsonValue converts a model value to JSON-ready values keyed by the YAML
// tags, leaving out positions and empty omitempty fields. Lists are never
// null, so consumers can iterate without a check.
func jsonValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return jsonValue(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if opts == "omitempty" && fv.IsZero() {
				continue
			}
			m[name] = jsonValue(fv)
		}
		return m
	case reflect.Slice:
		a := make([]any, v.Len())
		for i := range a {
			a[i] = jsonValue(v.Index(i))
		}
		return a
	default:
		return v.Interface()
	}
}
