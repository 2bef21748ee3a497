package steps

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// Scenario is the state of one running scenario.
type Scenario struct {
	env  *Env
	name string
	tags []string

	part     int // current partition
	conns    map[int]transport.Transport
	sessions map[string]*session // by partition and name
	cur      map[int]string      // current session name per partition
	saved    map[string]any
	last     *exchange
	checked  bool // the last exchange's problems were reported
	nextID   uint32
	keys     map[int][]uint32 // persistent keys made, deleted at the end
	// inCredential is set while a credential exchange holds the
	// partition's credential lock.
	inCredential bool
	// clock is the sum of the clock steps the scenario made through the
	// control channel, undone if it fails (restore).
	clock time.Duration
	// pins are the new PINs the scenario sent in ChangePin, per
	// partition: if it fails, restore puts the suite PIN back.
	pins map[int][][]byte
}

type session struct {
	part int
	id   uint32
	c2d  cipher.AEAD
	d2c  cipher.AEAD
	seq  uint64 // last sequence the device accepted
}

// The channel nonce prefixes (spec: wire.yaml, channel): the suite seals
// with its own AEADs so that it, not a client library, picks each
// sequence number (replay and reordering scenarios need that).
const (
	noncePrefixRequest  = 1
	noncePrefixResponse = 2
)

func channelNonce(prefix uint32, seq uint64) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint32(n[:4], prefix)
	binary.BigEndian.PutUint64(n[4:], seq)
	return n
}

func newAEAD(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (se *session) sealRequest(h *wire.RequestHeader, body []byte) []byte {
	aad := h.AppendCBOR(nil)
	return se.c2d.Seal(nil, channelNonce(noncePrefixRequest, h.Sequence), body, aad)
}

func (se *session) openResponse(h *wire.ResponseHeader, sealed []byte) ([]byte, error) {
	aad := h.AppendCBOR(nil)
	return se.d2c.Open(nil, channelNonce(noncePrefixResponse, h.Sequence), sealed, aad)
}

// sealPIN seals a PIN of any length (spec: wire.yaml, channel: AES-256-GCM
// under k_pin, 12 zero bytes of nonce, the opcode as additional data), so
// that a PIN outside the policy reaches the device for it to judge.
func sealPIN(kPin []byte, opcode uint16, pin []byte) ([]byte, error) {
	g, err := newAEAD(kPin)
	if err != nil {
		return nil, err
	}
	return g.Seal(nil, make([]byte, 12), pin, binary.BigEndian.AppendUint16(nil, opcode)), nil
}

// exchange is one request and its response.
type exchange struct {
	cmd      *model.Command
	request  map[string]any // the request fields as sent, by spec name
	session  *session
	header   wire.RequestHeader
	frame    []byte
	rh       wire.ResponseHeader
	status   rc.Code
	sealed   bool
	resp     wire.Message
	fields   map[string]any // JSON form of the response body
	problem  error          // the response breaks the protocol or its schema
	opened   *session       // a session this exchange opened
	credPub  []byte         // GetCredentialKey response fields, for verification
	credSig  []byte
	credNonc []byte
}

func newScenario(env *Env, name string, tags []string) *Scenario {
	return &Scenario{
		env: env, name: name, tags: tags,
		conns:    map[int]transport.Transport{},
		sessions: map[string]*session{},
		cur:      map[int]string{},
		saved:    map[string]any{},
		keys:     map[int][]uint32{},
		pins:     map[int][][]byte{},
	}
}

func (s *Scenario) hasTag(t string) bool { return slices.Contains(s.tags, t) }

func (s *Scenario) conn(ctx context.Context, part int) (transport.Transport, error) {
	if t, ok := s.conns[part]; ok {
		return t, nil
	}
	t, err := s.env.Driver.Dial(ctx, part)
	if err != nil {
		return nil, fmt.Errorf("dial partition %d: %w", part, err)
	}
	t = s.env.Recorder.Wrap(t, s.name)
	s.conns[part] = t
	return t, nil
}

// dropConns closes every connection; the next request redials. Used after
// control events, which may end a device's connections.
func (s *Scenario) dropConns() {
	for p, t := range s.conns {
		t.Close()
		delete(s.conns, p)
	}
}

func sessionKey(part int, name string) string { return fmt.Sprintf("%d/%s", part, name) }

func (s *Scenario) session() *session { return s.sessions[sessionKey(s.part, s.cur[s.part])] }

func (s *Scenario) command(name string) (*model.Command, error) {
	c := s.env.Spec.Command(name)
	if c == nil {
		return nil, fmt.Errorf("the spec has no command %q", name)
	}
	return c, nil
}

// sendMode varies how a request is sent, for the negative scenarios.
type sendMode struct {
	plaintext bool   // in-session command with a plaintext body
	noSession bool   // leave the session id out
	sessionID uint32 // use this session id
	tamper    bool   // flip a bit of the sealed body
	skipSeq   bool   // use last+2 as the sequence
	revision  uint16 // use this revision
	nonCanon  bool   // encode the body non-canonically
	opcode    uint16 // raw opcode, no command
	pin       []byte // PIN for credential commands
	// inCredential is set while a credential exchange holds the
	// partition's credential lock.
	inCredential bool
	sessionName  string // name of the session an opening command creates
}

var encMode = func() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}()

// send builds, sends and decodes one request of cmd with the given fields.
func (s *Scenario) send(ctx context.Context, cmd *model.Command, table map[string]string, m sendMode) error {
	body := map[uint64]any{}
	named := map[string]any{}
	pin := m.pin
	if pin == nil {
		pin = s.env.PIN
	}
	if cmd != nil {
		for k, v := range table {
			if k == "pin" {
				b, err := s.parseValue(&model.Field{Name: "pin", Type: model.TypeBytes}, v)
				if err != nil {
					return err
				}
				if str, ok := b.(string); ok {
					b = []byte(str)
				}
				pin, _ = b.([]byte)
				continue
			}
			f := model.Lookup(cmd.Request, k)
			if f == nil {
				return fmt.Errorf("%s has no request field %q", cmd.Name, k)
			}
			val, err := s.parseValue(f, v)
			if err != nil {
				return fmt.Errorf("field %s: %w", k, err)
			}
			if val == absent {
				continue
			}
			body[uint64(f.Key)] = val
			named[k] = val
		}
		if b, ok := named["new_pin"].([]byte); ok && cmd.Name == "ChangePin" {
			s.pins[s.part] = append(s.pins[s.part], b)
		}
	}
	unlock := func() {}
	defer func() { unlock() }()
	var kC2D, kD2C []byte
	// A device keeps one credential nonce per endpoint (spec: wire.yaml,
	// channel): a GetCredentialKey of a parallel scenario would replace
	// the nonce between this scenario's GetCredentialKey and its use.
	if cmd != nil && cmd.Name == "GetCredentialKey" && !s.inCredential {
		unlock = s.env.lockCredential(s.part)
	}
	if cmd != nil && model.Lookup(cmd.Request, "sealed_pin") != nil && model.Lookup(cmd.Request, "client_public_key") != nil {
		if _, given := table["sealed_pin"]; !given {
			unlock = s.env.lockCredential(s.part)
			s.inCredential = true
			defer func() { s.inCredential = false }()
			var err error
			kC2D, kD2C, err = s.credential(ctx, cmd, pin, body)
			if err != nil {
				return err
			}
		}
	}
	if cmd != nil && cmd.Name == "ReopenSession" {
		if _, given := table["session_id"]; !given {
			if se := s.session(); se != nil {
				if f := model.Lookup(cmd.Request, "session_id"); f != nil {
					body[uint64(f.Key)] = uint64(se.id)
				}
			}
		}
	}
	raw, err := encMode.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	h := wire.RequestHeader{Revision: wire.Revision}
	if m.revision != 0 {
		h.Revision = m.revision
	}
	s.nextID++
	h.RequestID = s.nextID
	rule := model.SessionNone
	if cmd != nil {
		h.Opcode = cmd.Opcode
		rule = cmd.Session
	} else {
		h.Opcode = m.opcode
	}
	se := s.session()
	needSession := rule == model.SessionIn || rule == model.SessionCloses
	if needSession && !m.noSession {
		if se == nil && m.sessionID == 0 {
			return fmt.Errorf("%s needs an open session; the scenario has none", cmd.Name)
		}
		if se != nil {
			h.SessionID = se.id
		}
	}
	// ReopenSession names its session in the body only: an opening
	// command never carries a header session id (spec: wire.yaml).
	if m.sessionID != 0 {
		h.SessionID = m.sessionID
	}
	env := wire.Envelope{Body: raw}
	sealedReq := needSession && !m.plaintext && !m.noSession && se != nil
	if sealedReq {
		seq := se.seq + 1
		if m.skipSeq {
			seq++
		}
		h.Sequence = seq
		sealed := se.sealRequest(&h, raw)
		if m.tamper {
			sealed[len(sealed)/2] ^= 0x01
		}
		env = wire.Envelope{Sealed: sealed}
	}
	frame, err := wire.EncodeRequest(h, env)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	if m.nonCanon && !sealedReq {
		// The body is the last item of the envelope map; the codec
		// refuses to write a non-canonical one, so it is spliced in.
		// A multiplexing transport refuses to carry it, so it goes on a
		// raw connection.
		frame = append(frame[:len(frame)-len(raw):len(frame)-len(raw)], nonCanonical(raw)...)
		return s.sendRaw(ctx, frame)
	} else if m.nonCanon {
		return errors.New("a non-canonical body is sent in plaintext only")
	}
	x := &exchange{cmd: cmd, header: h, frame: frame, request: named}
	if sealedReq {
		x.session = se
	}
	if err := s.roundTrip(ctx, x); err != nil {
		return err
	}
	if x.status == rc.Success && kC2D != nil && x.fields != nil {
		if err := s.openedSession(cmd, x, kC2D, kD2C, m.sessionName); err != nil {
			return err
		}
	}
	if x.status == rc.Success && x.session != nil && s.env.Spec.Command("DeleteKey") != nil && cmd != nil && cmd.Name != "DeleteKey" {
		if h, ok := x.fields["key_handle"].(json.Number); ok {
			if v, err := h.Int64(); err == nil {
				s.keys[s.part] = append(s.keys[s.part], uint32(v))
			}
		}
	}
	return nil
}

// roundTrip sends x.frame and decodes the response into x, recording any
// protocol or schema problem in x.problem.
func (s *Scenario) roundTrip(ctx context.Context, x *exchange) error {
	t, err := s.conn(ctx, s.part)
	if err != nil {
		return err
	}
	out, err := t.RoundTrip(ctx, x.frame)
	if err != nil {
		delete(s.conns, s.part)
		t.Close()
		return fmt.Errorf("transport: %w", err)
	}
	s.last = x
	s.checked = false
	rh, env, err := wire.DecodeResponse(out)
	if err != nil {
		x.problem = fmt.Errorf("response does not decode: %w", err)
		x.status = rc.Code(^uint32(0))
		return nil
	}
	x.rh = rh
	x.status = rh.Status
	x.problem = s.checkResponse(x, env)
	return nil
}

func (s *Scenario) checkResponse(x *exchange, env wire.Envelope) error {
	h, rh := x.header, x.rh
	if rh.RequestID != h.RequestID || rh.Opcode != h.Opcode {
		return fmt.Errorf("response answers request %d opcode 0x%04X, sent request %d opcode 0x%04X",
			rh.RequestID, rh.Opcode, h.RequestID, h.Opcode)
	}
	if !rh.Status.Defined() {
		return fmt.Errorf("status 0x%08X is not in the spec", uint32(rh.Status))
	}
	if err := s.validate("ResponseHeader", rh); err != nil {
		return err
	}
	body := env.Body
	if env.Sealed != nil {
		x.sealed = true
		if x.session == nil {
			return errors.New("sealed response to a request that was not sealed")
		}
		if rh.SessionID != h.SessionID || rh.Sequence != h.Sequence {
			return fmt.Errorf("sealed response for session %d sequence %d, sent %d/%d", rh.SessionID, rh.Sequence, h.SessionID, h.Sequence)
		}
		plain, err := x.session.openResponse(&rh, env.Sealed)
		if err != nil {
			return fmt.Errorf("sealed response does not open under k_d2c: %w", err)
		}
		body = plain
		x.session.seq = h.Sequence
	} else if x.session != nil && rh.Status == rc.Success {
		return errors.New("plaintext success response to a sealed request")
	}
	if rh.Status != rc.Success {
		if !bytes.Equal(body, wire.EmptyBody()) {
			return fmt.Errorf("error status %s with a non-empty body", rh.Status.Name())
		}
		return nil
	}
	if x.cmd == nil {
		return nil
	}
	ci, ok := wire.CommandByOpcode(x.cmd.Opcode)
	if !ok {
		return fmt.Errorf("the wire package has no command 0x%04X", x.cmd.Opcode)
	}
	resp := ci.NewResponse()
	if err := wire.Unmarshal(body, resp); err != nil {
		return fmt.Errorf("response body: %w", err)
	}
	x.resp = resp
	js, err := wire.ToJSON(resp)
	if err != nil {
		return fmt.Errorf("response body has no JSON form: %w", err)
	}
	if err := s.validateJSON(resp.MessageName(), js); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&x.fields); err != nil {
		return fmt.Errorf("response JSON form: %w", err)
	}
	return nil
}

func (s *Scenario) validate(name string, v any) error {
	js, err := wire.ToJSON(v)
	if err != nil {
		return fmt.Errorf("%s has no JSON form: %w", name, err)
	}
	return s.validateJSON(name, js)
}

func (s *Scenario) validateJSON(name string, js []byte) error {
	sch, err := s.env.schema(name)
	if err != nil {
		return err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s JSON form: %w", name, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s does not match its schema: %w", name, err)
	}
	return nil
}

// credential runs the client half of a credential exchange for cmd (spec:
// wire.yaml, channel) and puts client_public_key and sealed_pin into body.
func (s *Scenario) credential(ctx context.Context, cmd *model.Command, pin []byte, body map[uint64]any) (kC2D, kD2C []byte, err error) {
	gck, err := s.command("GetCredentialKey")
	if err != nil {
		return nil, nil, err
	}
	saved := s.last
	if err := s.send(ctx, gck, nil, sendMode{}); err != nil {
		return nil, nil, err
	}
	x := s.last
	s.last = saved
	if x.problem != nil {
		return nil, nil, fmt.Errorf("GetCredentialKey: %w", x.problem)
	}
	if x.status != rc.Success {
		// The device refuses the exchange itself (not provisioned,
		// tampered, ...): the scenario sees that status.
		s.last = x
		return nil, nil, errCredentialRefused
	}
	devPubB, _ := s.fieldBytes(x, "public_key")
	nonce, _ := s.fieldBytes(x, "nonce")
	devPub, err := ecdh.P384().NewPublicKey(devPubB)
	if err != nil {
		return nil, nil, fmt.Errorf("GetCredentialKey: device public key: %w", err)
	}
	e, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	z, err := e.ECDH(devPub)
	if err != nil {
		return nil, nil, fmt.Errorf("ECDH with the credential key: %w", err)
	}
	label := wire.LabelSession
	if cmd.Name == "EstablishCredential" {
		label = wire.LabelEstablish
	}
	clientPub := e.PublicKey().Bytes()
	kPin, kC2D, kD2C, err := wire.DeriveCredentialKeys(z, nonce, clientPub, devPubB, label)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := sealPIN(kPin, cmd.Opcode, pin)
	clear(kPin)
	if err != nil {
		return nil, nil, err
	}
	body[uint64(model.Lookup(cmd.Request, "client_public_key").Key)] = clientPub
	body[uint64(model.Lookup(cmd.Request, "sealed_pin").Key)] = sealed
	if f := model.Lookup(cmd.Request, "nonce"); f != nil {
		body[uint64(f.Key)] = nonce
	}
	return kC2D, kD2C, nil
}

var errCredentialRefused = errors.New("credential exchange refused")

func (s *Scenario) openedSession(cmd *model.Command, x *exchange, kC2D, kD2C []byte, name string) error {
	if cmd.Session != model.SessionOpens {
		return nil
	}
	id, ok := x.fields["session_id"].(json.Number)
	var sid uint32
	if ok {
		v, err := id.Int64()
		if err != nil {
			return fmt.Errorf("session_id: %w", err)
		}
		sid = uint32(v)
	} else if se := s.session(); cmd.Name == "ReopenSession" && se != nil {
		sid = se.id
	} else {
		return fmt.Errorf("%s response has no session_id", cmd.Name)
	}
	c2d, err := newAEAD(kC2D)
	if err != nil {
		return err
	}
	d2c, err := newAEAD(kD2C)
	if err != nil {
		return err
	}
	if cmd.Name == "ReopenSession" {
		name = s.cur[s.part]
	}
	se := &session{part: s.part, id: sid, c2d: c2d, d2c: d2c}
	key := sessionKey(s.part, name)
	if old := s.sessions[key]; old != nil && old.id != sid {
		// A new session under a name in use: the old one stays tracked
		// under its id, so the scenario's cleanup still closes it.
		s.sessions[sessionKey(s.part, fmt.Sprintf("%s#%d", name, old.id))] = old
	}
	s.sessions[key] = se
	s.cur[s.part] = name
	x.opened = se
	return nil
}

// nonCanonical re-encodes the head of a CBOR map in a longer form than
// needed, which RFC 8949 §4.2.1 forbids (the device must answer
// DecodeFailed).
func nonCanonical(b []byte) []byte {
	if len(b) == 0 || b[0]>>5 != 5 || b[0]&0x1f >= 24 {
		return append([]byte{0xb8, 0x00}, b...)
	}
	n := b[0] & 0x1f
	return append([]byte{0xb8, n}, b[1:]...)
}

// fieldBytes returns a bytes field of the response of x.
func (s *Scenario) fieldBytes(x *exchange, name string) ([]byte, error) {
	v, err := s.responseValue(x, name)
	if err != nil {
		return nil, err
	}
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("response field %s is not bytes", name)
	}
	return b, nil
}

func (s *Scenario) tagList() string { return strings.Join(s.tags, " ") }
