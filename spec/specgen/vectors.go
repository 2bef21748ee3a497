package specgen

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
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
	Name       string   `json:"name"`
	Command    string   `json:"command"`
	Opcode     uint16   `json:"opcode"`
	Direction  string   `json:"direction"`
	FrameHex   string   `json:"frame_hex"`
	Channel    *Channel `json:"channel,omitempty"`
	Decoded    any      `json:"decoded,omitempty"`
	Payloads   obj      `json:"payloads,omitempty"`
	COSEKeyHex string   `json:"cose_key_hex,omitempty"`
	Expect     string   `json:"expect"`
	Note       string   `json:"note,omitempty"`
}

// Channel holds the session keys that open a sealed vector and, for a
// request the channel refuses, the last sequence it accepted before.
type Channel struct {
	KC2DHex  string `json:"k_c2d_hex"`
	KD2CHex  string `json:"k_d2c_hex"`
	Accepted uint64 `json:"accepted,omitempty"`
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
	// cose signs the COSE_Sign1 fields (ES384, RFC 6979 deterministic
	// ECDSA, so the output is a function of the spec alone).
	cose *ecdsa.PrivateKey
}

// coseKey is the fixed P-384 key that signs the vectors' COSE_Sign1
// reports: the scalar is SHA-384 of a fixed label.
func coseKey() (*ecdsa.PrivateKey, error) {
	d := sha512.Sum384([]byte("OpenIHSM vectors attestation key"))
	return ecdsa.ParseRawPrivateKey(elliptic.P384(), d[:])
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
	if g.cose, err = coseKey(); err != nil {
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
	vs, err = g.channelFailures()
	if err != nil {
		return nil, err
	}
	f, err = jsonFile("vectors/data/channel.json", vs)
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
	payloads obj // JSON forms of the COSE_Sign1 payloads, by field name
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
	if len(f.payloads) > 0 {
		v.Payloads = f.payloads
		pub, err := g.cose.PublicKey.Bytes()
		if err != nil {
			return Vector{}, err
		}
		v.COSEKeyHex = hex.EncodeToString(pub)
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
	add := func(name string, response bool, st *model.Status, b built, sealedBody bool, note string) error {
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
		v, err := g.vector(c.Name+"/"+name, c, frame{hdr: h, hdrJSON: hj, body: b.m, bodyJSON: b.j, payloads: b.payloads, sealed: sealedBody, response: response}, expect, note)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}
	b, err := g.body(c.Request, true)
	if err != nil {
		return nil, err
	}
	if err := add("request", false, nil, b, sealed, "every field present"); err != nil {
		return nil, err
	}
	if hasOptional(c.Request) {
		b, err := g.body(c.Request, false)
		if err != nil {
			return nil, err
		}
		if err := add("request-required-only", false, nil, b, sealed, "optional fields absent"); err != nil {
			return nil, err
		}
	}
	b, err = g.body(c.Response, true)
	if err != nil {
		return nil, err
	}
	if err := add("response", true, success, b, sealed, "success, every field present"); err != nil {
		return nil, err
	}
	if hasOptional(c.Response) {
		b, err := g.body(c.Response, false)
		if err != nil {
			return nil, err
		}
		if err := add("response-required-only", true, success, b, sealed, "success, optional fields absent"); err != nil {
			return nil, err
		}
	}
	rows := c.Errors
	if len(rows) == 0 {
		// A command without rows of its own fails as every command does:
		// its vector is the body that does not decode into its request,
		// refused after the channel opened it.
		for _, r := range g.s.EffectiveErrors(&c) {
			if r.Status == "DecodeFailed" && !r.Unaddressed {
				rows = []model.ErrorRow{r}
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, e := range rows {
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
		if err := add("error-"+e.Status, true, st, built{m: map[uint64]any{}, j: obj{}}, sealed, oneLine(e.When)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// common returns an error response for each common error of wire.yaml. A
// row answered to no particular request carries request_id 0 and opcode 0
// and names no command (common/unaddressed-<Status>); any other row is
// answered, in plaintext, to the first command whose effective table
// holds it (common/error-<Status>): these statuses are decided before a
// session's channel opens the body, or concern a body the device could not
// read.
func (g *vecGen) common() ([]Vector, error) {
	var out []Vector
	seen := map[string]bool{}
	for _, e := range g.s.Wire.CommonErrors {
		name := "common/error-" + e.Status
		if e.Unaddressed {
			name = "common/unaddressed-" + e.Status
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		st, err := g.status(e.Status)
		if err != nil {
			return nil, err
		}
		if e.Unaddressed {
			h := map[uint64]any{1: g.rev, 2: uint64(0), 3: uint64(0), 6: uint64(st.Code), 7: false}
			hj := obj{{"revision", g.rev}, {"opcode", 0}, {"request_id", 0}, {"status", st.Name}, {"fips_approved", false}}
			v, err := g.vector(name, model.Command{}, frame{hdr: h, hdrJSON: hj, body: map[uint64]any{}, bodyJSON: obj{}, response: true}, st.Name, oneLine(e.When))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		var c *model.Command
		for i := range g.s.Commands {
			if g.s.Applies(&e, &g.s.Commands[i]) {
				c = &g.s.Commands[i]
				break
			}
		}
		if c == nil {
			continue
		}
		h, hj := g.header(*c, true, headerSession(*c), 0, st, false)
		v, err := g.vector(name, *c, frame{hdr: h, hdrJSON: hj, body: map[uint64]any{}, bodyJSON: obj{}, response: true}, st.Name, oneLine(e.When))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// channelFailures returns sealed requests the channel of the receiving
// device refuses, each with the last sequence that channel accepted: a
// replay, a request that skips ahead, a sealed body with one bit flipped
// and a header changed after sealing. They are built on the first
// in-session command.
func (g *vecGen) channelFailures() ([]Vector, error) {
	var c *model.Command
	for i := range g.s.Commands {
		if sealedRule(g.s.Commands[i]) {
			c = &g.s.Commands[i]
			break
		}
	}
	if c == nil {
		return []Vector{}, nil
	}
	b, err := g.body(c.Request, true)
	if err != nil {
		return nil, err
	}
	var out []Vector
	add := func(name string, seq, accepted uint64, expect, note string, tamper func(payload []byte) ([]byte, error)) error {
		h, hj := g.header(*c, false, vecSessionID, seq, nil, false)
		v, err := g.vector("channel/"+name, *c, frame{hdr: h, hdrJSON: hj, body: b.m, bodyJSON: b.j, sealed: true}, expect, note)
		if err != nil {
			return err
		}
		if tamper != nil {
			p, err := hex.DecodeString(v.FrameHex)
			if err != nil {
				return err
			}
			if p, err = tamper(p); err != nil {
				return err
			}
			v.FrameHex = hex.EncodeToString(p)
		}
		ch := *g.ch
		ch.Accepted = accepted
		v.Channel = &ch
		out = append(out, v)
		return nil
	}
	steps := []error{
		add("replayed", 1, 1, "ChannelSequenceError", "sequence 1 again after the channel accepted 1: a replay, refused without advancing the sequence", nil),
		add("reordered", 3, 1, "ChannelSequenceError", "sequence 3 after the channel accepted 1: a request skipped, refused without advancing the sequence", nil),
		add("tampered", 2, 1, "ChannelAuthFailed", "the next sequence, with the last byte of the sealed body (its GCM tag) flipped", func(p []byte) ([]byte, error) {
			p[len(p)-1] ^= 0x01
			return p, nil
		}),
		add("header-changed", 2, 1, "ChannelAuthFailed", "the next sequence, sealed with request_id 1 less than the header now says: the header is the seal's additional data", func(p []byte) ([]byte, error) {
			// The seal is over the header with the vector's request id;
			// rewrite the id in the header after sealing.
			id := uint64(0x1000 + g.reqID)
			return replaceUint(p, 3, id, id+1)
		}),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// replaceUint rewrites, in a frame, the header entry key: old (encoded as a
// two-byte unsigned integer) to new, keeping the length.
func replaceUint(p []byte, key, old, new uint64) ([]byte, error) {
	if old > 0xffff || new > 0xffff || old < 0x100 || new < 0x100 {
		return nil, fmt.Errorf("request id %d does not take two bytes", old)
	}
	want := []byte{byte(key), 0x19, byte(old >> 8), byte(old)}
	for i := 0; i+len(want) <= len(p); i++ {
		if string(p[i:i+len(want)]) == string(want) {
			p[i+2], p[i+3] = byte(new>>8), byte(new)
			return p, nil
		}
	}
	return nil, fmt.Errorf("header entry %d: %d not found", key, old)
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

// built is a generated map: generic CBOR, its JSON form, and the JSON
// forms of the payloads of its COSE_Sign1 fields.
type built struct {
	m        map[uint64]any
	j        obj
	payloads obj
}

// body returns a deterministic value for every field of fs (optional ones
// only if all is set), as generic CBOR and as its JSON form. A field's
// example is its value; otherwise values sit at the low end of the field's
// bounds and follow fixed byte patterns. A COSE_Sign1 field holds a real
// report over its payload map, signed with the vectors' fixed key.
func (g *vecGen) body(fs []model.Field, all bool) (built, error) {
	b := built{m: map[uint64]any{}, j: obj{}}
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
					return built{}, err
				}
				items, jitems = append(items, v), append(jitems, jv)
			}
			b.m[uint64(f.Key)], b.j = items, append(b.j, member{f.Name, jitems})
			continue
		}
		if f.CoseSign1 != "" {
			report, payload, err := g.coseSign1(f.CoseSign1)
			if err != nil {
				return built{}, fmt.Errorf("field %s: %w", f.Name, err)
			}
			b.m[uint64(f.Key)] = report
			b.j = append(b.j, member{f.Name, base64.StdEncoding.EncodeToString(report)})
			b.payloads = append(b.payloads, member{f.Name, payload})
			continue
		}
		v, jv, err := g.scalar(f, f.Type, f.Size, f.Range, 0)
		if err != nil {
			return built{}, err
		}
		b.m[uint64(f.Key)], b.j = v, append(b.j, member{f.Name, jv})
	}
	return b, nil
}

// coseSign1 returns a tagged COSE_Sign1 (RFC 9052 §4.2) over the payload
// map of types.yaml named name, and the payload's JSON form: protected
// header {1 (alg): -35 (ES384), 3 (content type): "application/cbor"},
// empty unprotected header, the signature r || s of ECDSA P-384 with
// SHA-384 over the Sig_structure ["Signature1", protected, h”, payload].
func (g *vecGen) coseSign1(name string) ([]byte, obj, error) {
	var m *model.Map
	for i := range g.s.Types.Maps {
		if g.s.Types.Maps[i].Name == name {
			m = &g.s.Types.Maps[i]
		}
	}
	if m == nil {
		return nil, nil, fmt.Errorf("no map %s", name)
	}
	b, err := g.body(m.Fields, true)
	if err != nil {
		return nil, nil, err
	}
	payload, err := g.enc.Marshal(b.m)
	if err != nil {
		return nil, nil, err
	}
	protected, err := g.enc.Marshal(map[int]any{1: -35, 3: "application/cbor"})
	if err != nil {
		return nil, nil, err
	}
	tbs, err := g.enc.Marshal([]any{"Signature1", protected, []byte{}, payload})
	if err != nil {
		return nil, nil, err
	}
	digest := sha512.Sum384(tbs)
	// A nil random source makes ECDSA deterministic (RFC 6979).
	der, err := g.cose.Sign(nil, digest[:], crypto.SHA384)
	if err != nil {
		return nil, nil, err
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, nil, err
	}
	rs := make([]byte, 96)
	sig.R.FillBytes(rs[:48])
	sig.S.FillBytes(rs[48:])
	report, err := g.enc.Marshal(cbor.Tag{Number: 18, Content: []any{protected, map[int]any{}, payload, rs}})
	if err != nil {
		return nil, nil, err
	}
	return report, b.j, nil
}

func (g *vecGen) scalar(f model.Field, t string, size, rng *model.Range, i uint64) (any, any, error) {
	if f.Example != "" && f.Type != model.TypeList {
		return g.example(f)
	}
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

// example returns the field's example value (the spec lint has checked
// that it fits the field).
func (g *vecGen) example(f model.Field) (any, any, error) {
	bad := func(err error) (any, any, error) {
		return nil, nil, fmt.Errorf("field %s: example %q: %v", f.Name, f.Example, err)
	}
	switch f.Type {
	case model.TypeBytes:
		b, err := hex.DecodeString(f.Example)
		if err != nil {
			return bad(err)
		}
		return b, base64.StdEncoding.EncodeToString(b), nil
	case model.TypeText:
		return f.Example, f.Example, nil
	case model.TypeU8, model.TypeU16, model.TypeU32, model.TypeU64:
		v, err := strconv.ParseUint(f.Example, 10, 64)
		if err != nil {
			return bad(err)
		}
		return v, v, nil
	case model.TypeBool:
		return f.Example == "true", f.Example == "true", nil
	case model.TypeEnum:
		for _, e := range g.s.Types.Enums {
			for _, v := range e.Values {
				if e.Name == f.Enum && v.Name == f.Example {
					return uint64(v.Value), v.Name, nil
				}
			}
		}
	case model.TypeFlags:
		for _, fl := range g.s.Types.Flags {
			if fl.Name != f.Flags {
				continue
			}
			var v uint64
			var names []string
			for _, b := range fl.Bits { // lowest bit first, as the JSON form lists them
				for _, n := range strings.Split(f.Example, "|") {
					if n == b.Name {
						v |= 1 << b.Bit
						names = append(names, b.Name)
					}
				}
			}
			return v, names, nil
		}
	}
	return bad(fmt.Errorf("not a value of the field"))
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
	bb, err := g.body(c.Request, false)
	if err != nil {
		return nil, err
	}
	body := bb.m
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
