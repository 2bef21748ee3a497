package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/openihsm/openihsm/spec/rc"
)

// The JSON form of a message (spec: wire/schema/*.json) is how a decoded
// message is shown and checked independently of the CBOR codec:
//
//   - an object whose members are the fields, named by their spec
//     (snake_case) names, in field-key order;
//   - integers are JSON numbers, bools are JSON booleans;
//   - bytes are standard base64 strings with padding (RFC 4648 §4);
//   - text is a JSON string;
//   - an enum is the spec name of its value ("EccP256");
//   - flags are an array of the spec names of the bits set, lowest bit
//     first (["Sign", "Verify"]);
//   - a list is an array of its items in the same forms;
//   - an optional field that is absent is omitted. An optional byte
//     string, text or list is absent exactly when it is empty, as in CBOR.
//
// A header is an object of the same kind, with the status as its spec name.

// ToJSON returns the JSON form of a message (a generated request or
// response), a [Payload], a [RequestHeader] or a [ResponseHeader]. It fails for values
// the form cannot show: an enum value, flag bit or status code the spec
// does not define.
func ToJSON(v any) ([]byte, error) {
	j := &jsonWriter{}
	j.open()
	var err error
	switch v := v.(type) {
	case Message:
		err = v.appendJSON(j)
	case Payload:
		err = v.appendJSON(j)
	case RequestHeader:
		v.appendJSON(j)
	case *RequestHeader:
		v.appendJSON(j)
	case ResponseHeader:
		err = v.appendJSON(j)
	case *ResponseHeader:
		err = v.appendJSON(j)
	default:
		err = fmt.Errorf("wire: no JSON form for %T: %w", v, rc.InvalidArgument)
	}
	if err != nil {
		return nil, err
	}
	j.close()
	return j.b, nil
}

func (h *RequestHeader) appendJSON(j *jsonWriter) {
	j.uint("revision", uint64(h.Revision))
	j.uint("opcode", uint64(h.Opcode))
	j.uint("request_id", uint64(h.RequestID))
	if h.SessionID != 0 {
		j.uint("session_id", uint64(h.SessionID))
	}
	if h.Sequence != 0 {
		j.uint("sequence", h.Sequence)
	}
}

func (h *ResponseHeader) appendJSON(j *jsonWriter) error {
	j.uint("revision", uint64(h.Revision))
	j.uint("opcode", uint64(h.Opcode))
	j.uint("request_id", uint64(h.RequestID))
	if h.SessionID != 0 {
		j.uint("session_id", uint64(h.SessionID))
	}
	if h.Sequence != 0 {
		j.uint("sequence", h.Sequence)
	}
	name := h.Status.Name()
	if name == "" {
		return fmt.Errorf("wire: response header: status 0x%08X is not in the spec: %w", uint32(h.Status), rc.InvalidArgument)
	}
	j.text("status", name)
	j.bool("fips_approved", h.FIPSApproved)
	return nil
}

// jsonWriter appends one JSON object member by member.
type jsonWriter struct {
	b     []byte
	first bool
}

func (j *jsonWriter) open()  { j.b = append(j.b, '{'); j.first = true }
func (j *jsonWriter) close() { j.b = append(j.b, '}') }

func (j *jsonWriter) key(name string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = strconv.AppendQuote(j.b, name) // spec names are plain ASCII
	j.b = append(j.b, ':')
}

func (j *jsonWriter) uint(name string, v uint64) {
	j.key(name)
	j.b = strconv.AppendUint(j.b, v, 10)
}

func (j *jsonWriter) bool(name string, v bool) {
	j.key(name)
	j.b = strconv.AppendBool(j.b, v)
}

func (j *jsonWriter) bytes(name string, v []byte) {
	j.key(name)
	j.appendBytes(v)
}

func (j *jsonWriter) appendBytes(v []byte) {
	j.b = append(j.b, '"')
	j.b = base64.StdEncoding.AppendEncode(j.b, v)
	j.b = append(j.b, '"')
}

func (j *jsonWriter) text(name, v string) {
	j.key(name)
	j.appendText(v)
}

// appendText writes v as a JSON string with encoding/json's escaping, so
// text the device sent shows exactly (RFC 8259 §7).
func (j *jsonWriter) appendText(v string) {
	b, _ := json.Marshal(v) // a string always marshals
	j.b = append(j.b, b...)
}

// list writes an array of n items, each written by item.
func (j *jsonWriter) list(name string, n int, item func(i int) error) error {
	j.key(name)
	j.b = append(j.b, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		if err := item(i); err != nil {
			return err
		}
	}
	j.b = append(j.b, ']')
	return nil
}

func (j *jsonWriter) appendUint(v uint64) { j.b = strconv.AppendUint(j.b, v, 10) }

// enumValue is a generated enum type.
type enumValue interface {
	name() (string, bool)
	String() string
}

// flagsValue is a generated flags type.
type flagsValue interface {
	Names() ([]string, bool)
	String() string
}

// enum writes the spec name of v, or fails for a value the spec does not
// define.
func (j *jsonWriter) enum(field string, v enumValue) error {
	j.key(field)
	return j.appendEnum(field, v)
}

func (j *jsonWriter) appendEnum(field string, v enumValue) error {
	n, ok := v.name()
	if !ok {
		return fmt.Errorf("wire: %s: %s is not in the spec: %w", field, v, rc.InvalidArgument)
	}
	j.appendText(n)
	return nil
}

// flags writes the names of the bits set in v, or fails if v has a bit
// the spec does not define.
func (j *jsonWriter) flags(field string, v flagsValue) error {
	ns, ok := v.Names()
	if !ok {
		return fmt.Errorf("wire: %s: %s has bits the spec does not define: %w", field, v, rc.InvalidArgument)
	}
	return j.list(field, len(ns), func(i int) error { j.appendText(ns[i]); return nil })
}
