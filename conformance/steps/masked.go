package steps

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
)

// registerMasked installs the steps that read and change masked keys by
// the field names of the spec's byte layout (architecture/masked-key.yaml).
//
//	Then @<m> is a well-formed masked key of this partition
//	    magic IHMK, the spec's version, AEAD 1, reserved 0, scope 1 or 2, a label of at most
//	    max_label bytes, lengths that add up to the blob, the partition_id of GetDeviceInfo, and
//	    session id 0 for scope 1
//	Then the masked key @<m> has <field> <value>
//	Given @<v> is the masked key @<m> with <field> set to <value>
func registerMasked(st func(string, any)) {
	st(`^@(\w+) is a well-formed masked key of this partition$`, with1(func(ctx context.Context, s *Scenario, name string) error {
		return s.wellFormedMasked(ctx, name)
	}))
	st(`^the masked key @(\w+) has (\w+) (\S+)$`, func(ctx context.Context, name, field, v string) error {
		return State(ctx).maskedFieldIs(name, field, v)
	})
	st(`^@(\w+) is the masked key @(\w+) with (\w+) set to (\S+)$`, func(ctx context.Context, as, name, field, v string) error {
		return State(ctx).setMaskedField(as, name, field, v)
	})
}

// span is where a field of a masked key lies.
type span struct{ off, size int }

// maskedLayout reads the layout of blob b: the offset and size of every
// field. Variable offsets and sizes are sums of numbers and of the
// variables the layout names (L, C): a variable is one capital letter, the
// value of the field whose doc begins with it ("L, at most 64.").
func maskedLayout(f model.MaskedKeyFormat, b []byte) (map[string]span, error) {
	vars := map[string]string{}
	for _, fl := range f.Fields {
		if len(fl.Doc) > 1 && fl.Doc[0] >= 'A' && fl.Doc[0] <= 'Z' && (fl.Doc[1] == ',' || fl.Doc[1] == '.') {
			vars[fl.Doc[:1]] = fl.Name
		}
	}
	out := map[string]span{}
	eval := func(expr string) (int, error) {
		n := 0
		for _, term := range strings.Split(expr, "+") {
			term = strings.TrimSpace(term)
			if v, err := strconv.Atoi(term); err == nil {
				n += v
				continue
			}
			name, ok := vars[term]
			if !ok {
				return 0, fmt.Errorf("the layout's %q names no field", term)
			}
			sp, ok := out[name]
			if !ok || sp.off+sp.size > len(b) {
				return 0, fmt.Errorf("%s is outside the blob", name)
			}
			n += int(beUint(b[sp.off : sp.off+sp.size]))
		}
		return n, nil
	}
	end := 0
	for _, fl := range f.Fields {
		off, err := eval(fl.Offset)
		if err != nil {
			return nil, err
		}
		size, err := eval(fl.Size)
		if err != nil {
			return nil, err
		}
		if off != end {
			return nil, fmt.Errorf("field %s at %d does not follow the one before (%d)", fl.Name, off, end)
		}
		if off+size > len(b) {
			return nil, fmt.Errorf("a %d-byte blob ends inside %s (%d+%d)", len(b), fl.Name, off, size)
		}
		out[fl.Name] = span{off, size}
		end = off + size
	}
	if end != len(b) {
		return nil, fmt.Errorf("the fields end at %d, the blob at %d", end, len(b))
	}
	return out, nil
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

func (s *Scenario) savedBytes(name string) ([]byte, error) {
	b, ok := s.saved[name].([]byte)
	if !ok {
		return nil, fmt.Errorf("no bytes saved as @%s", name)
	}
	return b, nil
}

// maskedField returns the spec field a masked-key field's value is
// parsed as: the enum or flags its doc names first (KeyKind, KeyUsage),
// an integer for a fixed field of up to 8 bytes, bytes otherwise.
func (s *Scenario) maskedField(name string) (*model.Field, error) {
	for _, fl := range s.env.Spec.Architecture.MaskedKey.Fields {
		if fl.Name != name {
			continue
		}
		word := strings.TrimRight(strings.Fields(fl.Doc + " ")[0], ".,")
		switch {
		case s.env.Spec.Enum(word) != nil:
			return &model.Field{Name: name, Type: model.TypeEnum, Enum: word}, nil
		case s.env.Spec.Flags(word) != nil:
			return &model.Field{Name: name, Type: model.TypeFlags, Flags: word}, nil
		}
		if n, err := strconv.Atoi(fl.Size); err == nil && n <= 8 {
			return &model.Field{Name: name, Type: model.TypeU64}, nil
		}
		return &model.Field{Name: name, Type: model.TypeBytes}, nil
	}
	return nil, fmt.Errorf("the masked key layout has no field %q", name)
}

func (s *Scenario) maskedValue(b []byte, lay map[string]span, name string) (any, error) {
	f, err := s.maskedField(name)
	if err != nil {
		return nil, err
	}
	sp := lay[name]
	raw := b[sp.off : sp.off+sp.size]
	if f.Type == model.TypeBytes {
		return raw, nil
	}
	return beUint(raw), nil
}

func (s *Scenario) maskedFieldIs(name, field, v string) error {
	b, err := s.savedBytes(name)
	if err != nil {
		return err
	}
	lay, err := maskedLayout(s.env.Spec.Architecture.MaskedKey, b)
	if err != nil {
		return fmt.Errorf("@%s: %w", name, err)
	}
	got, err := s.maskedValue(b, lay, field)
	if err != nil {
		return err
	}
	f, _ := s.maskedField(field)
	want, err := s.parseValue(f, v)
	if err != nil {
		return err
	}
	if str, ok := want.(string); ok {
		want = []byte(str)
	}
	if !equalValues(got, want) {
		return fmt.Errorf("the masked key @%s has %s %s, want %s", name, field, showValue(got), showValue(want))
	}
	return nil
}

func (s *Scenario) setMaskedField(as, name, field, v string) error {
	b, err := s.savedBytes(name)
	if err != nil {
		return err
	}
	lay, err := maskedLayout(s.env.Spec.Architecture.MaskedKey, b)
	if err != nil {
		return fmt.Errorf("@%s: %w", name, err)
	}
	f, err := s.maskedField(field)
	if err != nil {
		return err
	}
	val, err := s.parseValue(f, v)
	if err != nil {
		return err
	}
	out := bytes.Clone(b)
	sp := lay[field]
	dst := out[sp.off : sp.off+sp.size]
	switch x := val.(type) {
	case uint64:
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], x)
		if sp.size < 8 && x>>(8*sp.size) != 0 {
			return fmt.Errorf("%d does not fit the %d bytes of %s", x, sp.size, field)
		}
		copy(dst, buf[8-sp.size:])
	case []byte:
		if len(x) != sp.size {
			return fmt.Errorf("%s is %d bytes, the value %d", field, sp.size, len(x))
		}
		copy(dst, x)
	default:
		return fmt.Errorf("%s cannot be set to %s", field, v)
	}
	s.saved[as] = out
	return nil
}

// The constants of masked-key format version 1 (architecture/masked-key.yaml).
const (
	maskedMagic        = "IHMK"
	maskedAEADGCM      = 1
	maskedScopePart    = 1
	maskedScopeSession = 2
)

func (s *Scenario) wellFormedMasked(ctx context.Context, name string) error {
	b, err := s.savedBytes(name)
	if err != nil {
		return err
	}
	mk := s.env.Spec.Architecture.MaskedKey
	lay, err := maskedLayout(mk, b)
	if err != nil {
		return fmt.Errorf("@%s: %w", name, err)
	}
	get := func(f string) uint64 { sp := lay[f]; return beUint(b[sp.off : sp.off+sp.size]) }
	field := func(f string) []byte { sp := lay[f]; return b[sp.off : sp.off+sp.size] }
	maxLabel := uint64(64)
	if l := s.env.Spec.Limit("max_label"); l != nil {
		maxLabel = l.Value
	}
	scope := get("scope")
	switch {
	case string(field("magic")) != maskedMagic:
		return fmt.Errorf("@%s: magic %q", name, field("magic"))
	case get("version") != uint64(mk.Version):
		return fmt.Errorf("@%s: version %d, the spec's is %d", name, get("version"), mk.Version)
	case get("aead") != maskedAEADGCM:
		return fmt.Errorf("@%s: AEAD %d", name, get("aead"))
	case get("reserved") != 0:
		return fmt.Errorf("@%s: reserved byte %d", name, get("reserved"))
	case scope != maskedScopePart && scope != maskedScopeSession:
		return fmt.Errorf("@%s: scope %d", name, scope)
	case get("label_length") > maxLabel:
		return fmt.Errorf("@%s: a label of %d bytes", name, get("label_length"))
	case scope == maskedScopePart && get("session_id") != 0:
		return fmt.Errorf("@%s: a partition-scope key names session %d", name, get("session_id"))
	}
	var pid []byte
	err = s.aside(func() error {
		if err := s.must(ctx, "GetDeviceInfo", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		pid, err = s.fieldBytes(s.last, "partition_id")
		return err
	})
	if err != nil {
		return err
	}
	if !bytes.Equal(field("partition_id"), pid) {
		return errors.New("@" + name + ": the partition_id is not this partition's (GetDeviceInfo)")
	}
	return nil
}
