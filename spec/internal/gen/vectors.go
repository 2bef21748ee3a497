package main

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/model"
)

// The vectors are built from the spec alone, with a generic deterministic
// CBOR encoder and AES-GCM straight from the standard library, never with
// spec/wire: they are an independent statement of the bytes the generated
// codec must accept and reproduce.

// Vector is one entry of a vectors file (see spec/vectors).
type Vector struct {
	Name      string   `json:"name"`
	Command   string   `json:"command"`
	Opcode    uint16   `json:"opcode"`
	Direction string   `json:"direction"`
	FrameHex  string   `json:"frame_hex"`
	Channel   *Channel `json:"channel,omitempty"`
	Decoded   any      `json:"decoded,omitempty"`
	Expect    string   `json:"expect"`
	Note      string   `json:"note,omitempty"`
}

// Channel holds the session keys that open a sealed vector.
type Channel struct {
	KC2DHex string `json:"k_c2d_hex"`
	KD2CHex string `json:"k_d2c_hex"`
}

// Fixed channel keys of the sealed vectors: bytes 0x40.. and 0x60...
func vectorKeys() (c2d, d2c []byte) {
	c2d, d2c = make([]byte, 32), make([]byte, 32)
	for i := range c2d {
		c2d[i], d2c[i] = byte(0x40+i), byte(0x60+i)
	}
	return c2d, d2c
}

// Fixed header values of the vectors.
const (
	vecSessionID = 7
	vecSequence  = 1
)

type vecGen struct {
	s   *model.Spec
	enc cbor.EncMode
	rev uint64
	c2d cipher.AEAD
	d2c cipher.AEAD
	ch  *Channel
	// reqID numbers the vectors' request ids so each is distinct.
	reqID uint64
}

func newGCMKey(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func genVectors(s *model.Spec) ([]File, error) {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	k1, k2 := vectorKeys()
	g := &vecGen{s: s, enc: enc, rev: uint64(s.Meta.APIRevision.Major)<<8 | uint64(s.Meta.APIRevision.Minor),
		ch: &Channel{KC2DHex: hex.EncodeToString(k1), KD2CHex: hex.EncodeToString(k2)}}
	if g.c2d, err = newGCMKey(k1); err != nil {
		return nil, err
	}
	if g.d2c, err = newGCMKey(k2); err != nil {
		return nil, err
	}
	var files []File
	for _, c := range s.Commands {
		vs, err := g.command(c)
		if err != nil {
			return nil, fmt.Errorf("vectors of %s: %w", c.Name, err)
		}
		f, err := jsonFile("vectors/data/"+c.Name+".json", vs)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	vs, err := g.common()
	if err != nil {
		return nil, err
	}
	f, err := jsonFile("vectors/data/common.json", vs)
	if err != nil {
		return nil, err
	}
	files = append(files, f)
	vs, err = g.malformed()
	if err != nil {
		return nil, err
	}
	f, err = jsonFile("vectors/data/malformed.json", vs)
	if err != nil {
		return nil, err
	}
	return append(files, f), nil
}

// frame is a message to encode: header and body as generic CBOR values and
// their JSON forms.
type frame struct {
	hdr      map[uint64]any
	hdrJSON  obj
	body     map[uint64]any
	bodyJSON obj
	sealed   bool
	response bool
}

func (g *vecGen) header(c model.Command, response bool, sessionID, seq uint64, status *model.Status, fips bool) (map[uint64]any, obj) {
	g.reqID++
	id := 0x1000 + g.reqID
	h := map[uint64]any{1: g.rev, 2: uint64(c.Opcode), 3: id}
	j := obj{{"revision", g.rev}, {"opcode", c.Opcode}, {"request_id", id}}
	if sessionID != 0 {
		h[4] = sessionID
		j = append(j, member{"session_id", sessionID})
	}
	if seq != 0 {
		h[5] = seq
		j = append(j, member{"sequence", seq})
	}
	if response {
		h[6], h[7] = uint64(status.Code), fips
		j = append(j, member{"status", status.Name}, member{"fips_approved", fips})
	}
	return h, j
}

// envKey is the key of the named envelope field (spec: wire.yaml,
// envelope); check has made sure the three exist.
func (g *vecGen) envKey(name string) uint64 {
	if f := model.Lookup(g.s.Wire.Envelope, name); f != nil {
		return uint64(f.Key)
	}
	return 0
}

// payload returns the envelope of f, its body sealed if f says so. The
// header and the body are embedded as CBOR maps, the sealed body is a byte
// string (spec: wire.yaml, envelope).
func (g *vecGen) payload(f frame) ([]byte, error) {
	env := map[uint64]any{g.envKey("header"): f.hdr}
	if f.sealed {
		aad, err := g.enc.Marshal(f.hdr)
		if err != nil {
			return nil, err
		}
		plain, err := g.enc.Marshal(f.body)
		if err != nil {
			return nil, err
		}
		// Nonce: 4-byte direction prefix, then the 8-byte sequence
		// (spec: wire.yaml, channel).
		var nonce [12]byte
		aead := g.c2d
		binary.BigEndian.PutUint32(nonce[:4], 1)
		if f.response {
			aead = g.d2c
			binary.BigEndian.PutUint32(nonce[:4], 2)
		}
		binary.BigEndian.PutUint64(nonce[4:], f.hdr[5].(uint64))
		env[g.envKey("sealed")] = aead.Seal(nil, nonce[:], plain, aad)
	} else {
		env[g.envKey("body")] = f.body
	}
	return g.enc.Marshal(env)
}

func (g *vecGen) vector(name string, c model.Command, f frame, expect, note string) (Vector, error) {
	payload, err := g.payload(f)
	if err != nil {
		return Vector{}, err
	}
	full := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	full = append(full, payload...)
	dir := "request"
	if f.response {
		dir = "response"
	}
	v := Vector{
		Name: name, Command: c.Name, Opcode: c.Opcode, Direction: dir,
		FrameHex: hex.EncodeToString(full),
		Decoded:  obj{{"header", f.hdrJSON}, {"body", f.bodyJSON}},
		Expect:   expect, Note: note,
	}
	if f.sealed {
		v.Channel = g.ch
	}
	return v, nil
}

// sealedRule tells whether the bodies of c travel sealed.
func sealedRule(c model.Command) bool {
	return c.Session == model.SessionIn || c.Session == model.SessionCloses
}

// headerSession is the session id a request of c carries: in-session and
// closing commands and ReopenSession name their session (spec: wire.yaml,
// request_header).
func headerSession(c model.Command) uint64 {
	if sealedRule(c) || c.ID == "CMD-SESSION-REOPEN" || c.Name == "ReopenSession" {
		return vecSessionID
	}
	return 0
}

func (g *vecGen) status(name string) (*model.Status, error) {
	for i := range g.s.Status {
		if g.s.Status[i].Name == name {
			return &g.s.Status[i], nil
		}
	}
	return nil, fmt.Errorf("unknown status %q", name)
}

// command returns the vectors of one command: its request (with every
// optional field, and without any if it has some), its success response,
// and an error response for each row of its own error table.
func (g *vecGen) command(c model.Command) ([]Vector, error) {
	var out []Vector
	sealed := sealedRule(c)
	sid := headerSession(c)
	var seq uint64
	if sealed {
		seq = vecSequence
	}
	success, err := g.status("Success")
	if err != nil {
		return nil, err
	}
	add := func(name string, response bool, st *model.Status, body map[uint64]any, bodyJSON obj, sealedBody bool, note string) error {
		s := uint64(0)
		if sealedBody {
			s = seq
		}
		fips := st != nil && st.Name == "Success"
		h, hj := g.header(c, response, sid, s, st, fips)
		expect := "Success"
		if st != nil {
			expect = st.Name
		}
		v, err := g.vector(c.Name+"/"+name, c, frame{hdr: h, hdrJSON: hj, body: body, bodyJSON: bodyJSON, sealed: sealedBody, response: response}, expect, note)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}
	body, bj, err := g.body(c.Request, true)
	if err != nil {
		return nil, err
	}
	if err := add("request", false, nil, body, bj, sealed, "every field present"); err != nil {
		return nil, err
	}
	if hasOptional(c.Request) {
		body, bj, err := g.body(c.Request, false)
		if err != nil {
			return nil, err
		}
		if err := add("request-required-only", false, nil, body, bj, sealed, "optional fields absent"); err != nil {
			return nil, err
		}
	}
	body, bj, err = g.body(c.Response, true)
	if err != nil {
		return nil, err
	}
	if err := add("response", true, success, body, bj, sealed, "success, every field present"); err != nil {
		return nil, err
	}
	if hasOptional(c.Response) {
		body, bj, err := g.body(c.Response, false)
		if err != nil {
			return nil, err
		}
		if err := add("response-required-only", true, success, body, bj, sealed, "success, optional fields absent"); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, e := range c.Errors {
		if seen[e.Status] {
			continue
		}
		seen[e.Status] = true
		st, err := g.status(e.Status)
		if err != nil {
			return nil, err
		}
		// An error from a command authenticated in its session is sealed
		// like its success (spec: wire.yaml, envelope).
		if err := add("error-"+e.Status, true, st, map[uint64]any{}, obj{}, sealed, oneLine(e.When)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// common returns an error response for each common error of wire.yaml,
// answered in plaintext to the first command its session filter admits:
// these statuses are decided before a session's channel opens the body.
func (g *vecGen) common() ([]Vector, error) {
	var out []Vector
	seen := map[string]bool{}
	for _, e := range g.s.Wire.CommonErrors {
		if seen[e.Status] {
			continue
		}
		seen[e.Status] = true
		st, err := g.status(e.Status)
		if err != nil {
			return nil, err
		}
		var c *model.Command
		for i := range g.s.Commands {
			if len(e.Sessions) == 0 || contains(e.Sessions, g.s.Commands[i].Session) {
				c = &g.s.Commands[i]
				break
			}
		}
		if c == nil {
			continue
		}
		h, hj := g.header(*c, true, headerSession(*c), 0, st, false)
		v, err := g.vector("common/error-"+e.Status, *c, frame{hdr: h, hdrJSON: hj, body: map[uint64]any{}, bodyJSON: obj{}, response: true}, st.Name, oneLine(e.When))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func hasOptional(fs []model.Field) bool {
	for _, f := range fs {
		if f.Optional {
			return true
		}
	}
	return false
}

// body returns a deterministic value for every field of fs (optional ones
// only if all is set), as generic CBOR and as its JSON form. Values sit at
// the low end of each field's bounds and follow fixed byte patterns.
func (g *vecGen) body(fs []model.Field, all bool) (map[uint64]any, obj, error) {
	m := map[uint64]any{}
	j := obj{}
	for _, f := range fs {
		if f.Optional && !all {
			continue
		}
		if f.Type == model.TypeList {
			lo, hi, _ := bounds(f.Size, math.MaxUint64)
			n := max(lo, 1)
			n = min(n, hi, 2)
			var items []any
			var jitems []any
			for i := uint64(0); i < n; i++ {
				v, jv, err := g.scalar(f, f.Items, f.ItemSize, f.Range, i)
				if err != nil {
					return nil, nil, err
				}
				items, jitems = append(items, v), append(jitems, jv)
			}
			m[uint64(f.Key)], j = items, append(j, member{f.Name, jitems})
			continue
		}
		v, jv, err := g.scalar(f, f.Type, f.Size, f.Range, 0)
		if err != nil {
			return nil, nil, err
		}
		m[uint64(f.Key)], j = v, append(j, member{f.Name, jv})
	}
	return m, j, nil
}

func (g *vecGen) scalar(f model.Field, t string, size, rng *model.Range, i uint64) (any, any, error) {
	seed := uint64(f.Key)*16 + i
	switch t {
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		lo, hi, _ := bounds(rng, typeMax(t))
		v := min(max(seed+1, lo), hi)
		return v, v, nil
	case model.TypeBool:
		return true, true, nil
	case model.TypeBytes:
		lo, hi, _ := bounds(size, math.MaxUint64)
		n := lo
		if n == 0 {
			n = min(16, hi)
		}
		if n == 0 && f.Optional {
			n = 1
		}
		b := make([]byte, n)
		for k := range b {
			b[k] = byte(seed + uint64(k))
		}
		return b, base64.StdEncoding.EncodeToString(b), nil
	case model.TypeText:
		lo, hi, _ := bounds(size, math.MaxUint64)
		n := lo
		if n == 0 {
			n = min(12, hi)
		}
		var sb strings.Builder
		for k := uint64(0); k < n; k++ {
			sb.WriteByte(byte('a' + (seed+k)%26))
		}
		return sb.String(), sb.String(), nil
	case model.TypeEnum:
		for _, e := range g.s.Types.Enums {
			if e.Name == f.Enum && len(e.Values) > 0 {
				v := e.Values[int(i)%len(e.Values)]
				return uint64(v.Value), v.Name, nil
			}
		}
		return nil, nil, fmt.Errorf("field %s: enum %s has no values", f.Name, f.Enum)
	case model.TypeFlags:
		for _, fl := range g.s.Types.Flags {
			if fl.Name == f.Flags {
				var v uint64
				names := []string{}
				for k, b := range fl.Bits {
					if k < 2 {
						v |= 1 << b.Bit
						names = append(names, b.Name)
					}
				}
				return v, names, nil
			}
		}
		return nil, nil, fmt.Errorf("field %s: unknown flags %s", f.Name, f.Flags)
	}
	return nil, nil, fmt.Errorf("field %s: unsupported type %s", f.Name, t)
}

// malformed returns requests the codec must refuse, each with the status
// the device answers. They are built on the first command without a
// session whose request has a required byte string with a size bound, so
// the body travels in plaintext.
func (g *vecGen) malformed() ([]Vector, error) {
	var c *model.Command
	var bf model.Field
	for i := range g.s.Commands {
		cmd := &g.s.Commands[i]
		if cmd.Session != model.SessionNone {
			continue
		}
		for _, f := range cmd.Request {
			if _, hi, ok := bounds(f.Size, math.MaxUint64); f.Type == model.TypeBytes && !f.Optional && ok && hi < 4096 {
				c, bf = cmd, f
				break
			}
		}
		if c != nil {
			break
		}
	}
	if c == nil {
		return []Vector{}, nil
	}
	body, _, err := g.body(c.Request, false)
	if err != nil {
		return nil, err
	}
	h, _ := g.header(*c, false, 0, 0, nil, false)
	hdr, err := g.enc.Marshal(h)
	if err != nil {
		return nil, err
	}
	good, err := g.enc.Marshal(body)
	if err != nil {
		return nil, err
	}
	env := func(hdr, body []byte) []byte {
		p := append([]byte{0xa2, 0x01}, hdr...)
		return append(append(p, 0x02), body...)
	}
	withBody := func(mut func(m map[uint64]any)) ([]byte, error) {
		m := map[uint64]any{}
		for k, v := range body {
			m[k] = v
		}
		mut(m)
		return g.enc.Marshal(m)
	}
	type bad struct {
		name, expect, note string
		payload            []byte
		frame              []byte
	}
	var bads []bad
	add := func(name, expect, note string, payload []byte, err error) error {
		if err != nil {
			return err
		}
		bads = append(bads, bad{name: name, expect: expect, note: note, payload: payload})
		return nil
	}
	// The length prefix claims one byte more than max_frame; nothing
	// follows, and nothing needs to.
	over := binary.BigEndian.AppendUint32(nil, uint32(g.s.Wire.Framing.MaxFrame+1))
	bads = append(bads, bad{name: "frame-too-large", expect: "FrameTooLarge", note: "length prefix above max_frame; the payload is never read", frame: over})
	key := uint64(bf.Key)
	steps := []func() error{
		func() error {
			return add("trailing-byte", "DecodeFailed", "a byte after the envelope", append(env(hdr, good), 0x00), nil)
		},
		func() error {
			p := env(hdr, good)
			p[0] = 0xbf // indefinite-length map
			return add("indefinite-envelope", "DecodeFailed", "indefinite-length envelope map", append(p, 0xff), nil)
		},
		func() error {
			// request_id in a 4-byte head although 2 bytes hold it.
			h2 := append([]byte{}, hdr...)
			var out []byte
			id := h[3].(uint64)
			short := []byte{0x03, 0x19, byte(id >> 8), byte(id)}
			long := []byte{0x03, 0x1a, 0, 0, byte(id >> 8), byte(id)}
			for k := 0; k+len(short) <= len(h2); k++ {
				if string(h2[k:k+len(short)]) == string(short) {
					out = append(append(append([]byte{}, h2[:k]...), long...), h2[k+len(short):]...)
					break
				}
			}
			if out == nil {
				return fmt.Errorf("request id not found in header")
			}
			return add("non-shortest-integer", "DecodeFailed", "request_id not in its shortest form", env(out, good), nil)
		},
		func() error {
			h2 := map[uint64]any{}
			for k, v := range h {
				h2[k] = v
			}
			h2[9] = uint64(0)
			b, err := g.enc.Marshal(h2)
			return add("unknown-header-key", "DecodeFailed", "header key 9 is not in the spec", env(b, good), err)
		},
		func() error {
			b, err := withBody(func(m map[uint64]any) { m[23] = uint64(0) })
			return add("unknown-body-key", "DecodeFailed", "body key 23 is not in the spec", env(hdr, b), err)
		},
		func() error {
			// The same key twice: the field re-encoded after itself.
			b, err := g.enc.Marshal(map[uint64]any{key: body[key]})
			if err != nil {
				return err
			}
			dup := append([]byte{0xa2}, b[1:]...)
			dup = append(dup, b[1:]...)
			return add("duplicate-key", "DecodeFailed", "body key repeated", env(hdr, dup), nil)
		},
		func() error {
			b, err := withBody(func(m map[uint64]any) { m[key] = cbor.Tag{Number: 24, Content: body[key]} })
			return add("tag", "DecodeFailed", "a tagged byte string", env(hdr, b), err)
		},
		func() error {
			b, err := withBody(func(m map[uint64]any) { m[key] = 1.5 })
			return add("float", "DecodeFailed", "a float where a byte string belongs", env(hdr, b), err)
		},
		func() error {
			b, err := withBody(func(m map[uint64]any) { m[key] = "text" })
			return add("wrong-type", "DecodeFailed", "text where a byte string belongs", env(hdr, b), err)
		},
		func() error {
			b, err := withBody(func(m map[uint64]any) { delete(m, key) })
			return add("missing-field", "InvalidArgument", "required field "+bf.Name+" absent", env(hdr, b), err)
		},
		func() error {
			_, hi, _ := bounds(bf.Size, math.MaxUint64)
			b, err := withBody(func(m map[uint64]any) { m[key] = make([]byte, hi+1) })
			return add("oversized-field", "InvalidArgument", fmt.Sprintf("%s one byte over its size bound", bf.Name), env(hdr, b), err)
		},
		func() error {
			p := append(append(env(hdr, good), 0x03), 0x40)
			p[0] = 0xa3
			return add("body-and-sealed", "DecodeFailed", "both a body and a sealed body", p, nil)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	var out []Vector
	for _, b := range bads {
		f := b.frame
		if f == nil {
			f = binary.BigEndian.AppendUint32(nil, uint32(len(b.payload)))
			f = append(f, b.payload...)
		}
		out = append(out, Vector{Name: "malformed/" + b.name, Command: c.Name, Opcode: c.Opcode, Direction: "request",
			FrameHex: hex.EncodeToString(f), Expect: b.expect, Note: b.note})
	}
	return out, nil
}
