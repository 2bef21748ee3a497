package steps

import (
	"context"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// registerSession installs the steps of the wire, session, channel and
// credential features: requests sealed the wrong way on purpose (other
// keys, other nonce prefix, a header changed after sealing, a response sent
// back as a request), credential exchanges with a sealed PIN made wrong on
// purpose or a nonce used again, repeated PIN failures, pipelined requests,
// and outcomes about the response header (sealed or plain, the FIPS
// indicator, header fields).
//
//	When I send <Command> sealed with the response key|the response nonce prefix|the keys of session "<s>"|the kept keys "<k>"
//	When I send <Command> with its request id|opcode|session id changed[ to <Command>|session "<s>"] after sealing
//	When I send <Command> and send its sealed response back as a request
//	When I send <Command> with an unknown body field
//	When I send <Command> in plaintext with session id <n>
//	When I send opcode <0xNNNN> with revision <n>
//	When I keep the session's channel keys as "<k>"
//	When I send <Command> with its sealed PIN tampered
//	When I send <Command> with its PIN sealed for|under the label of|with the opcode of <Command>
//	When I save the credential key exchange as @<x>
//	When I send <Command> with the credential key exchange @<x>[ and a wrong PIN]
//	When I renegotiate the session|session id <n>       ReopenSession, the session named in the body
//	When I save the suite PIN as @<v>                   the run's PIN, for ChangePin tables
//	When the clock goes back by <n>ms|s|m               undoes an advance, so certificates a later reset issues are valid now
//	When I fail the PIN check of <Command> <n> time(s)
//	When I pipeline <Command>, <Command> and <Command> on one connection
//	Then every pipelined response echoes the opcode and request id of its request
//	Then the response is sealed|in plaintext
//	Then the response is [not ]marked FIPS approved
//	Then the response header field <request_id|opcode|session_id|sequence|revision> is <n>
//	Then the response field <f> differs from @<v>
func registerSession(st func(string, any)) {
	st(`^I send (\w+) sealed with (the response key|the response nonce prefix|the keys of session "\w+"|the kept keys "\w+")$`,
		with2(func(ctx context.Context, s *Scenario, cmd, how string) error { return s.sealedWith(ctx, cmd, how) }))
	st(`^I send (\w+) with its (request id|opcode|session id) changed(?: to (\w+|session "\w+"))? after sealing$`,
		func(ctx context.Context, cmd, field, to string) error {
			return State(ctx).headerChanged(ctx, cmd, field, to)
		})
	st(`^I send (\w+) and send its sealed response back as a request$`,
		with1(func(ctx context.Context, s *Scenario, cmd string) error { return s.reflect(ctx, cmd) }))
	st(`^I send (\w+) with an unknown body field$`,
		with1(func(ctx context.Context, s *Scenario, cmd string) error { return s.unknownField(ctx, cmd) }))
	st(`^I send (\w+) in plaintext with session id (\d+)$`,
		with2(func(ctx context.Context, s *Scenario, cmd, id string) error {
			return s.plaintextWithSession(ctx, cmd, id)
		}))
	st(`^I send opcode (0x[0-9A-Fa-f]{1,4}) with revision (\S+)$`,
		with2(func(ctx context.Context, s *Scenario, op, rev string) error {
			return s.opcodeWithRevision(ctx, op, rev)
		}))
	st(`^I keep the session's channel keys as "(\w+)"$`,
		with1(func(ctx context.Context, s *Scenario, name string) error { return s.keepKeys(name) }))

	st(`^I send (\w+) with its sealed PIN tampered$`,
		with1(func(ctx context.Context, s *Scenario, cmd string) error {
			return s.sendCredential(ctx, cmd, credOpts{tamper: true})
		}))
	st(`^I send (\w+) with its PIN sealed (for|under the label of|with the opcode of) (\w+)$`,
		func(ctx context.Context, cmd, how, other string) error {
			s := State(ctx)
			oc, err := s.command(other)
			if err != nil {
				return err
			}
			o := credOpts{}
			if how != "with the opcode of" {
				o.label = credentialLabel(oc)
			}
			if how != "under the label of" {
				op := oc.Opcode
				o.aadOpcode = &op
			}
			return s.sendCredential(ctx, cmd, o)
		})
	st(`^I save the credential key exchange as @(\w+)$`,
		with1(func(ctx context.Context, s *Scenario, name string) error { return s.saveExchange(name) }))
	st(`^I send (\w+) with the credential key exchange @(\w+)( and a wrong PIN)?$`,
		func(ctx context.Context, cmd, name, wrong string) error {
			s := State(ctx)
			ex, ok := s.saved[exchangeKey(name)].(*credExchange)
			if !ok {
				return fmt.Errorf("no credential key exchange saved as @%s", name)
			}
			o := credOpts{saved: ex}
			if wrong != "" {
				o.pin = s.wrongPIN()
			}
			return s.sendCredential(ctx, cmd, o)
		})
	st(`^I renegotiate (?:the session|session id (\d+))$`,
		with1(func(ctx context.Context, s *Scenario, id string) error {
			o := credOpts{}
			if id != "" {
				n, err := parseUint(id)
				if err != nil || n == 0 || n > 0xFFFFFFFF {
					return fmt.Errorf("bad session id %q", id)
				}
				o.sessionID = uint32(n)
			}
			return s.sendCredential(ctx, "ReopenSession", o)
		}))
	st(`^I save the suite PIN as @(\w+)$`,
		with1(func(ctx context.Context, s *Scenario, name string) error {
			s.saved[name] = slices.Clone(s.env.PIN)
			return nil
		}))
	st(`^the clock goes back by (\d+(?:ms|s|m))$`,
		with1(func(ctx context.Context, s *Scenario, d string) error { return s.control(ctx, "clock", "-"+d) }))
	st(`^I fail the PIN check of (\w+) (\d+) times?$`,
		with2(func(ctx context.Context, s *Scenario, cmd, n string) error { return s.failPIN(ctx, cmd, n) }))

	st(`^I pipeline (\w+(?:(?:, | and )\w+)+) on one connection$`,
		with1(func(ctx context.Context, s *Scenario, list string) error { return s.pipeline(ctx, list) }))
	st(`^every pipelined response echoes the opcode and request id of its request$`,
		with(func(ctx context.Context, s *Scenario) error { return s.pipelineEchoes() }))

	st(`^the response is (sealed|in plaintext)$`,
		with1(func(ctx context.Context, s *Scenario, how string) error { return s.responseSealed(how == "sealed") }))
	st(`^the response is (not )?marked FIPS approved$`,
		with1(func(ctx context.Context, s *Scenario, not string) error { return s.fipsApproved(not == "") }))
	st(`^the response header field (request_id|opcode|session_id|sequence|revision) is (\S+)$`,
		with2(func(ctx context.Context, s *Scenario, f, v string) error { return s.headerFieldIs(f, v) }))
	st(`^the response field (\w+) differs from @(\w+)$`,
		with2(func(ctx context.Context, s *Scenario, f, v string) error { return s.fieldDiffers(f, v) }))
}

// requestBody encodes the request body of cmd from a table, as send does.
func (s *Scenario) requestBody(cmd *model.Command, table map[string]string, extra map[uint64]any) ([]byte, error) {
	body := map[uint64]any{}
	for k, v := range table {
		f := model.Lookup(cmd.Request, k)
		if f == nil {
			return nil, fmt.Errorf("%s has no request field %q", cmd.Name, k)
		}
		val, err := s.parseValue(f, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		if val != absent {
			body[uint64(f.Key)] = val
		}
	}
	for k, v := range extra {
		body[k] = v
	}
	return encMode.Marshal(body)
}

// sealing says how sealedSend seals a request: which AEAD and nonce
// prefix, which session's id and sequence the header carries, and what is
// changed in the header once the seal is made.
type sealing struct {
	aead   cipher.AEAD
	prefix uint32
	as     *session                  // header session; nil is the current one
	mutate func(*wire.RequestHeader) // applied after sealing
	answer *model.Command            // command the response answers, when the opcode changes
}

// sealedSend sends an in-session request of cmd sealed as sl says. The
// exchange is checked like every other (a sealed answer must open under
// the header session's k_d2c).
func (s *Scenario) sealedSend(ctx context.Context, cmd *model.Command, raw []byte, sl sealing) error {
	se := s.session()
	if se == nil {
		return fmt.Errorf("%s needs an open session; the scenario has none", cmd.Name)
	}
	as := sl.as
	if as == nil {
		as = se
	}
	s.nextID++
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID, SessionID: as.id, Sequence: as.seq + 1}
	aead, prefix := sl.aead, sl.prefix
	if aead == nil {
		aead = se.c2d
	}
	if prefix == 0 {
		prefix = noncePrefixRequest
	}
	sealed := aead.Seal(nil, channelNonce(prefix, h.Sequence), raw, h.AppendCBOR(nil))
	answer := cmd
	if sl.mutate != nil {
		sl.mutate(&h)
		if sl.answer != nil {
			answer = sl.answer
		}
		if h.SessionID != as.id {
			for _, o := range s.sessions {
				if o.part == s.part && o.id == h.SessionID {
					as = o
				}
			}
		}
	}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Sealed: sealed})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return s.roundTrip(ctx, &exchange{cmd: answer, header: h, frame: frame, session: as})
}

func (s *Scenario) namedSession(name string) (*session, error) {
	se := s.sessions[sessionKey(s.part, name)]
	if se == nil {
		return nil, fmt.Errorf("no session %q on this partition", name)
	}
	return se, nil
}

func quoted(v string) string {
	i := strings.IndexByte(v, '"')
	j := strings.LastIndexByte(v, '"')
	if i < 0 || j <= i {
		return ""
	}
	return v[i+1 : j]
}

// sealedWith seals a request of the current session with keys or a nonce
// prefix the spec does not allow for requests (spec: wire.yaml, channel:
// k_c2d and prefix 0x00000001 for requests only).
func (s *Scenario) sealedWith(ctx context.Context, name, how string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	se := s.session()
	if se == nil {
		return fmt.Errorf("%s needs an open session; the scenario has none", name)
	}
	raw, err := s.requestBody(cmd, nil, nil)
	if err != nil {
		return err
	}
	var sl sealing
	switch {
	case how == "the response key":
		sl.aead = se.d2c
	case how == "the response nonce prefix":
		sl.prefix = noncePrefixResponse
	case strings.HasPrefix(how, "the keys of session"):
		other, err := s.namedSession(quoted(how))
		if err != nil {
			return err
		}
		sl.aead = other.c2d
	case strings.HasPrefix(how, "the kept keys"):
		kept, ok := s.saved[keptKey(quoted(how))].(*session)
		if !ok {
			return fmt.Errorf("no channel keys kept as %q", quoted(how))
		}
		sl.aead = kept.c2d
	}
	return s.sealedSend(ctx, cmd, raw, sl)
}

func keptKey(name string) string { return "\x00channel:" + name }

// keepKeys keeps a copy of the current session's channel keys, so a later
// step can seal with them after ReopenSession replaced them.
func (s *Scenario) keepKeys(name string) error {
	se := s.session()
	if se == nil {
		return errors.New("no open session")
	}
	c := *se
	s.saved[keptKey(name)] = &c
	return nil
}

// headerChanged seals a request, then changes one header field the seal
// binds as associated data (spec: wire.yaml, channel: aad is the CBOR
// encoding of the request header).
func (s *Scenario) headerChanged(ctx context.Context, name, field, to string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	raw, err := s.requestBody(cmd, nil, nil)
	if err != nil {
		return err
	}
	var sl sealing
	switch field {
	case "request id":
		sl.mutate = func(h *wire.RequestHeader) { h.RequestID += 1000 }
	case "opcode":
		other, err := s.command(to)
		if err != nil {
			return err
		}
		if other.Opcode == cmd.Opcode {
			return errors.New("the opcode must change to another command's")
		}
		sl.answer = other
		sl.mutate = func(h *wire.RequestHeader) { h.Opcode = other.Opcode }
	case "session id":
		other, err := s.namedSession(quoted(to))
		if err != nil {
			return err
		}
		if se := s.session(); se == nil || se.id == other.id {
			return errors.New("the session id must change to another open session's")
		}
		// The sequence follows the other session, so that only the
		// seal, not the sequence check, can refuse the request.
		sl.mutate = func(h *wire.RequestHeader) { h.SessionID, h.Sequence = other.id, other.seq+1 }
	}
	return s.sealedSend(ctx, cmd, raw, sl)
}

// reflect sends a request, then sends the sealed bytes of its response
// back as the next request of the session (spec: wire.yaml, channel: the
// directions use different keys and nonce prefixes).
func (s *Scenario) reflect(ctx context.Context, name string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	se := s.session()
	if se == nil {
		return fmt.Errorf("%s needs an open session; the scenario has none", name)
	}
	raw, err := s.requestBody(cmd, nil, nil)
	if err != nil {
		return err
	}
	s.nextID++
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID, SessionID: se.id, Sequence: se.seq + 1}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Sealed: se.sealRequest(&h, raw)})
	if err != nil {
		return err
	}
	t, err := s.conn(ctx, s.part)
	if err != nil {
		return err
	}
	out, err := t.RoundTrip(ctx, frame)
	if err != nil {
		delete(s.conns, s.part)
		t.Close()
		return fmt.Errorf("transport: %w", err)
	}
	rh, env, err := wire.DecodeResponse(out)
	if err != nil {
		return fmt.Errorf("response does not decode: %w", err)
	}
	x := &exchange{cmd: cmd, header: h, frame: frame, session: se, rh: rh, status: rh.Status}
	if x.problem = s.checkResponse(x, env); x.problem != nil {
		s.last = x
		return x.problem
	}
	if env.Sealed == nil {
		return fmt.Errorf("%s was answered %s in plaintext; there is no sealed response to send back", name, statusName(rh.Status))
	}
	s.nextID++
	back := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID, SessionID: se.id, Sequence: se.seq + 1}
	frame, err = wire.EncodeRequest(back, wire.Envelope{Sealed: env.Sealed})
	if err != nil {
		return err
	}
	return s.roundTrip(ctx, &exchange{cmd: cmd, header: back, frame: frame, session: se})
}

// unknownField sends cmd with a body holding a key its request does not
// define (spec: wire.yaml: unknown keys are DecodeFailed), sealed when the
// command runs in a session.
func (s *Scenario) unknownField(ctx context.Context, name string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	key := uint64(1)
	for _, f := range cmd.Request {
		key = max(key, uint64(f.Key)+1)
	}
	raw, err := s.requestBody(cmd, nil, map[uint64]any{key + 16: uint64(0)})
	if err != nil {
		return err
	}
	return s.sendBytes(ctx, cmd, raw)
}

func (s *Scenario) plaintextWithSession(ctx context.Context, name, id string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	n, err := parseUint(id)
	if err != nil || n == 0 || n > 0xFFFFFFFF {
		return fmt.Errorf("bad session id %q", id)
	}
	return s.send(ctx, cmd, nil, sendMode{plaintext: true, sessionID: uint32(n)})
}

func (s *Scenario) opcodeWithRevision(ctx context.Context, op, rev string) error {
	o, err := strconv.ParseUint(op, 0, 16)
	if err != nil {
		return err
	}
	r, err := parseUint(rev)
	if err != nil || r == 0 || r > 0xFFFF {
		return fmt.Errorf("bad revision %q", rev)
	}
	return s.send(ctx, nil, nil, sendMode{opcode: uint16(o), revision: uint16(r)})
}

// credExchange is a saved GetCredentialKey answer.
type credExchange struct{ pub, nonce []byte }

func exchangeKey(name string) string { return "\x00credential:" + name }

func (s *Scenario) saveExchange(name string) error {
	x := s.last
	if x == nil || x.cmd == nil || x.cmd.Name != "GetCredentialKey" || x.status != rc.Success {
		return errors.New("the last request was not a successful GetCredentialKey")
	}
	pub, err := s.fieldBytes(x, "public_key")
	if err != nil {
		return err
	}
	nonce, err := s.fieldBytes(x, "nonce")
	if err != nil {
		return err
	}
	s.saved[exchangeKey(name)] = &credExchange{pub: pub, nonce: nonce}
	return nil
}

// credOpts varies the client half of a credential exchange (spec:
// wire.yaml, channel) for the negative scenarios.
type credOpts struct {
	label     string  // k_pin label instead of the command's own
	aadOpcode *uint16 // associated data of the sealed PIN instead of the command's opcode
	tamper    bool    // flip a bit of the sealed PIN
	pin       []byte  // instead of the suite PIN
	saved     *credExchange
	sessionID uint32 // the session ReopenSession names; 0 is the current one
}

func credentialLabel(cmd *model.Command) string {
	if cmd.Name == "EstablishCredential" {
		return wire.LabelEstablish
	}
	return wire.LabelSession
}

func (s *Scenario) wrongPIN() []byte {
	p := slices.Clone(s.env.PIN)
	p[len(p)-1] ^= 0x01
	return p
}

// sendCredential runs a credential exchange for cmd as o says and sends
// it; a session it opens becomes the current session.
func (s *Scenario) sendCredential(ctx context.Context, name string, o credOpts) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	if model.Lookup(cmd.Request, "sealed_pin") == nil || model.Lookup(cmd.Request, "client_public_key") == nil {
		return fmt.Errorf("%s takes no sealed PIN", name)
	}
	pub, nonce := []byte(nil), []byte(nil)
	if o.saved != nil {
		pub, nonce = o.saved.pub, o.saved.nonce
	} else {
		unlock := s.env.lockCredential(s.part)
		defer unlock()
		s.inCredential = true
		defer func() { s.inCredential = false }()
		if err := s.must(ctx, "GetCredentialKey", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		if pub, err = s.fieldBytes(s.last, "public_key"); err != nil {
			return err
		}
		if nonce, err = s.fieldBytes(s.last, "nonce"); err != nil {
			return err
		}
	}
	devPub, err := ecdh.P384().NewPublicKey(pub)
	if err != nil {
		return fmt.Errorf("credential key: %w", err)
	}
	e, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	z, err := e.ECDH(devPub)
	if err != nil {
		return err
	}
	label := o.label
	if label == "" {
		label = credentialLabel(cmd)
	}
	clientPub := e.PublicKey().Bytes()
	kPin, kC2D, kD2C, err := wire.DeriveCredentialKeys(z, nonce, clientPub, pub, label)
	if err != nil {
		return err
	}
	op := cmd.Opcode
	if o.aadOpcode != nil {
		op = *o.aadOpcode
	}
	pin := o.pin
	if pin == nil {
		pin = s.env.PIN
	}
	sealed, err := sealPIN(kPin, op, pin)
	clear(kPin)
	if err != nil {
		return err
	}
	if o.tamper {
		sealed[len(sealed)-1] ^= 0x01
	}
	table := map[string]string{
		"client_public_key": "hex:" + hex.EncodeToString(clientPub),
		"sealed_pin":        "hex:" + hex.EncodeToString(sealed),
	}
	if model.Lookup(cmd.Request, "nonce") != nil {
		table["nonce"] = "hex:" + hex.EncodeToString(nonce)
	}
	if model.Lookup(cmd.Request, "session_id") != nil {
		id := o.sessionID
		if id == 0 {
			se := s.session()
			if se == nil {
				return fmt.Errorf("%s needs a session to name; the scenario has none", name)
			}
			id = se.id
		}
		table["session_id"] = strconv.FormatUint(uint64(id), 10)
	}
	// The request is built here rather than by send: a command that opens
	// a session carries no session_id in its header (spec: wire.yaml,
	// SessionNotExpected for session rule opens); ReopenSession names its
	// session in the body.
	raw, err := s.requestBody(cmd, table, nil)
	if err != nil {
		return err
	}
	if err := s.sendPlain(ctx, cmd, raw); err != nil {
		return err
	}
	if x := s.last; x.status == rc.Success && x.fields != nil {
		// A new session takes the unnamed slot, as with send;
		// ReopenSession keeps the current session's name.
		return s.openedSession(cmd, x, kC2D, kD2C, "")
	}
	return nil
}

// failPIN sends cmd with a wrong PIN n times and requires PinIncorrect
// each time (spec: IHSM-PRV-009: the first max_pin_attempts failures are
// checked and counted).
func (s *Scenario) failPIN(ctx context.Context, name, count string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > 64 {
		return fmt.Errorf("bad count %q", count)
	}
	wrong := "hex:" + hex.EncodeToString(s.wrongPIN())
	for i := 1; i <= n; i++ {
		switch {
		case model.Lookup(cmd.Request, "sealed_pin") != nil:
			err = s.sendCredential(ctx, name, credOpts{pin: s.wrongPIN()})
		case model.Lookup(cmd.Request, "current_pin") != nil && model.Lookup(cmd.Request, "new_pin") != nil:
			err = s.send(ctx, cmd, map[string]string{"current_pin": wrong, "new_pin": wrong}, sendMode{})
		default:
			return fmt.Errorf("%s checks no PIN", name)
		}
		if err != nil && !errors.Is(err, errCredentialRefused) {
			return fmt.Errorf("attempt %d: %w", i, err)
		}
		s.checked = true
		if s.last.problem != nil {
			return fmt.Errorf("attempt %d: %w", i, s.last.problem)
		}
		if s.last.status != rc.PinIncorrect {
			return fmt.Errorf("wrong PIN %d of %d: %s answered %s, want PinIncorrect", i, n, name, statusName(s.last.status))
		}
	}
	return nil
}

// pipelined is one request of a pipeline and its answer.
type pipelined struct {
	sent wire.RequestHeader
	got  *wire.ResponseHeader
}

const pipelineKey = "\x00pipeline"

// pipeline writes every request on one raw connection before reading any
// answer (spec: wire.yaml: the response echoes opcode and request_id so a
// client can pipeline).
func (s *Scenario) pipeline(ctx context.Context, list string) error {
	names := strings.FieldsFunc(strings.ReplaceAll(list, " and ", ","), func(r rune) bool { return r == ',' || r == ' ' })
	c, err := s.raw(ctx)
	if err != nil {
		return err
	}
	defer c.c.Close()
	var ps []*pipelined
	for _, n := range names {
		cmd, err := s.command(n)
		if err != nil {
			return err
		}
		if cmd.Session != model.SessionNone || slices.ContainsFunc(cmd.Request, func(f model.Field) bool { return !f.Optional }) {
			return fmt.Errorf("%s cannot be pipelined without a session or fields", n)
		}
		s.nextID++
		h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID}
		frame, err := wire.EncodeRequest(h, wire.Envelope{Body: wire.EmptyBody()})
		if err != nil {
			return err
		}
		c.rec.Record(transcript.Request, c.name, frame)
		if err := c.c.WriteFrame(frame); err != nil {
			return err
		}
		ps = append(ps, &pipelined{sent: h})
	}
	for range ps {
		out, err := c.c.ReadFrame()
		if err != nil {
			return fmt.Errorf("pipelined response: %w", err)
		}
		c.rec.Record(transcript.Response, c.name, out)
		rh, _, err := wire.DecodeResponse(out)
		if err != nil {
			return fmt.Errorf("pipelined response does not decode: %w", err)
		}
		for _, p := range ps {
			if p.got == nil && p.sent.RequestID == rh.RequestID {
				p.got = &rh
				break
			}
		}
	}
	s.saved[pipelineKey] = ps
	return nil
}

func (s *Scenario) pipelineEchoes() error {
	ps, ok := s.saved[pipelineKey].([]*pipelined)
	if !ok {
		return errors.New("nothing was pipelined")
	}
	for _, p := range ps {
		switch {
		case p.got == nil:
			return fmt.Errorf("no response echoes request_id %d", p.sent.RequestID)
		case p.got.Opcode != p.sent.Opcode:
			return fmt.Errorf("request %d: response opcode 0x%04X, sent 0x%04X", p.sent.RequestID, p.got.Opcode, p.sent.Opcode)
		case p.got.Status != rc.Success:
			return fmt.Errorf("request %d (opcode 0x%04X): status %s", p.sent.RequestID, p.sent.Opcode, statusName(p.got.Status))
		}
	}
	return nil
}

func (s *Scenario) responseSealed(want bool) error {
	if s.last == nil {
		return errors.New("no request was sent")
	}
	if s.last.sealed != want {
		how := "in plaintext"
		if s.last.sealed {
			how = "sealed"
		}
		return fmt.Errorf("%s (%s) was answered %s", s.last.name(), statusName(s.last.status), how)
	}
	return nil
}

func (s *Scenario) fipsApproved(want bool) error {
	if s.last == nil {
		return errors.New("no request was sent")
	}
	if s.last.rh.FIPSApproved != want {
		return fmt.Errorf("%s (%s): fips_approved is %t, want %t", s.last.name(), statusName(s.last.status), s.last.rh.FIPSApproved, want)
	}
	return nil
}

func (s *Scenario) headerFieldIs(field, v string) error {
	if s.last == nil {
		return errors.New("no request was sent")
	}
	want, err := parseUint(v)
	if err != nil {
		return err
	}
	rh := s.last.rh
	var got uint64
	switch field {
	case "request_id":
		got = uint64(rh.RequestID)
	case "opcode":
		got = uint64(rh.Opcode)
	case "session_id":
		got = uint64(rh.SessionID)
	case "sequence":
		got = rh.Sequence
	case "revision":
		got = uint64(rh.Revision)
	}
	if got != want {
		return fmt.Errorf("response header %s is %d, want %d", field, got, want)
	}
	return nil
}

func (s *Scenario) fieldDiffers(name, as string) error {
	got, err := s.responseValue(s.last, name)
	if err != nil {
		return err
	}
	prev, ok := s.saved[as]
	if !ok {
		return fmt.Errorf("nothing saved as @%s", as)
	}
	if equalValues(got, prev) {
		return fmt.Errorf("%s.%s is %s again", s.last.name(), name, showValue(got))
	}
	return nil
}

// sendBytes sends raw as cmd's request body: sealed in the current session
// for a command that runs in one, in plaintext otherwise.
func (s *Scenario) sendBytes(ctx context.Context, cmd *model.Command, raw []byte) error {
	if cmd.Session == model.SessionIn || cmd.Session == model.SessionCloses {
		return s.sealedSend(ctx, cmd, raw, sealing{})
	}
	return s.sendPlain(ctx, cmd, raw)
}

// sendPlain sends raw as cmd's request body in a plaintext envelope, with
// no session in the header.
func (s *Scenario) sendPlain(ctx context.Context, cmd *model.Command, raw []byte) error {
	s.nextID++
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Body: raw})
	if err != nil {
		return err
	}
	return s.roundTrip(ctx, &exchange{cmd: cmd, header: h, frame: frame})
}
