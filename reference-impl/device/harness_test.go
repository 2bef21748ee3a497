package device

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// harness drives one endpoint with hand-built frames: the client side of
// the protocol written out with spec/wire, so tests can send anything,
// including what a well-behaved client never would.
type harness struct {
	t     testing.TB
	d     *Device
	ep    Endpoint
	reqID uint32
	now   time.Time
}

var testPIN = []byte("0123456789")

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	if cfg.PINIterations == 0 {
		cfg.PINIterations = 1000
	}
	if cfg.SelfTestInterval == 0 {
		cfg.SelfTestInterval = -1
	}
	h := &harness{t: t, now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return h.now }
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	h.d = d
	h.ep, err = d.Partition(0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// on returns a harness for another partition of the same device.
func (h *harness) on(i int) *harness {
	ep, err := h.d.Partition(i)
	if err != nil {
		h.t.Fatal(err)
	}
	return &harness{t: h.t, d: h.d, ep: ep, now: h.now}
}

// raw sends a payload and decodes the response.
func (h *harness) raw(payload []byte) (wire.ResponseHeader, wire.Envelope) {
	h.t.Helper()
	out := h.ep.Handle(context.Background(), payload)
	rh, env, err := wire.DecodeResponse(out)
	if err != nil {
		h.t.Fatalf("undecodable response %x: %v", out, err)
	}
	checkTable(h.t, rh)
	return rh, env
}

func (h *harness) send(hdr wire.RequestHeader, env wire.Envelope) (wire.ResponseHeader, wire.Envelope) {
	h.t.Helper()
	p, err := wire.EncodeRequest(hdr, env)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.raw(p)
}

func (h *harness) header(op uint16, sid uint32) wire.RequestHeader {
	h.reqID++
	return wire.RequestHeader{Revision: wire.Revision, Opcode: op, RequestID: h.reqID, SessionID: sid}
}

func (h *harness) marshal(m wire.Message) []byte {
	h.t.Helper()
	b, err := wire.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// plain runs a command outside any session and returns the status,
// decoding a success body into resp (if not nil).
func (h *harness) plain(req, resp wire.Message) rc.Code {
	h.t.Helper()
	rh, env := h.send(h.header(req.Opcode(), 0), wire.Envelope{Body: h.marshal(req)})
	if env.Sealed != nil {
		h.t.Fatalf("sealed answer to a plaintext request")
	}
	if rh.Status == rc.Success && resp != nil {
		if err := wire.Unmarshal(env.Body, resp); err != nil {
			h.t.Fatal(err)
		}
	}
	if rh.Status != rc.Success && rh.FIPSApproved {
		h.t.Errorf("error %v with the FIPS-approved indicator set", rh.Status)
	}
	return rh.Status
}

// credential runs GetCredentialKey and seals pin for opcode; it returns
// the request fields and the channel the exchange would give.
func (h *harness) credential(label string, opcode uint16, pin []byte) (pub, nonce, sealed []byte, ch *wire.Channel) {
	h.t.Helper()
	var ck wire.GetCredentialKeyResponse
	if code := h.plain(&wire.GetCredentialKeyRequest{}, &ck); code != rc.Success {
		h.t.Fatalf("GetCredentialKey: %v", code)
	}
	e, _ := ecdh.P384().GenerateKey(rand.Reader)
	dp, err := ecdh.P384().NewPublicKey(ck.PublicKey)
	if err != nil {
		h.t.Fatal(err)
	}
	z, _ := e.ECDH(dp)
	pub = e.PublicKey().Bytes()
	kPin, kC2D, kD2C, err := wire.DeriveCredentialKeys(z, ck.Nonce, pub, ck.PublicKey, label)
	if err != nil {
		h.t.Fatal(err)
	}
	// Sealed by hand (not wire.SealPIN) so tests can send PINs the policy
	// refuses.
	b, _ := aes.NewCipher(kPin)
	g, _ := cipher.NewGCM(b)
	sealed = g.Seal(nil, make([]byte, 12), pin, binary.BigEndian.AppendUint16(nil, opcode))
	ch, err = wire.NewChannel(kC2D, kD2C)
	if err != nil {
		h.t.Fatal(err)
	}
	return pub, ck.Nonce, sealed, ch
}

func (h *harness) establish(pin []byte) rc.Code {
	h.t.Helper()
	pub, nonce, sealed, _ := h.credential(wire.LabelEstablish, wire.OpEstablishCredential, pin)
	return h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil)
}

type rawSession struct {
	id uint32
	ch *wire.Channel
}

func (h *harness) open(pin []byte) (*rawSession, rc.Code) {
	h.t.Helper()
	pub, nonce, sealed, ch := h.credential(wire.LabelSession, wire.OpOpenSession, pin)
	var r wire.OpenSessionResponse
	code := h.plain(&wire.OpenSessionRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, &r)
	return &rawSession{id: r.SessionID, ch: ch}, code
}

// session provisions the partition (if needed) and opens a session.
func (h *harness) session() *rawSession {
	h.t.Helper()
	var info wire.GetDeviceInfoResponse
	h.plain(&wire.GetDeviceInfoRequest{}, &info)
	if info.PartitionState == wire.PartitionStateUnprovisioned {
		if code := h.establish(testPIN); code != rc.Success {
			h.t.Fatalf("EstablishCredential: %v", code)
		}
	}
	s, code := h.open(testPIN)
	if code != rc.Success {
		h.t.Fatalf("OpenSession: %v", code)
	}
	return s
}

// sealedFrame builds the payload of an in-session request.
func (h *harness) sealedFrame(s *rawSession, req wire.Message) (wire.RequestHeader, []byte) {
	h.t.Helper()
	hdr := h.header(req.Opcode(), s.id)
	sealed, err := s.ch.SealRequest(&hdr, h.marshal(req))
	if err != nil {
		h.t.Fatal(err)
	}
	p, err := wire.EncodeRequest(hdr, wire.Envelope{Sealed: sealed})
	if err != nil {
		h.t.Fatal(err)
	}
	return hdr, p
}

// in runs an in-session command: the status, and the success body in resp.
// A sealed answer is opened and checked; a plaintext one must be an error.
func (h *harness) in(s *rawSession, req, resp wire.Message) rc.Code {
	h.t.Helper()
	rh, env := h.raw(h.payload(s, req))
	return h.answer(s, rh, env, resp)
}

func (h *harness) payload(s *rawSession, req wire.Message) []byte {
	_, p := h.sealedFrame(s, req)
	return p
}

func (h *harness) answer(s *rawSession, rh wire.ResponseHeader, env wire.Envelope, resp wire.Message) rc.Code {
	h.t.Helper()
	if env.Sealed == nil {
		if rh.Status == rc.Success {
			h.t.Fatal("plaintext success for a sealed request")
		}
		return rh.Status
	}
	body, err := s.ch.OpenResponse(rh, env.Sealed)
	if err != nil {
		h.t.Fatalf("sealed answer does not open: %v", err)
	}
	if rh.Status == rc.Success && resp != nil {
		if err := wire.Unmarshal(body, resp); err != nil {
			h.t.Fatal(err)
		}
	}
	if rh.Status != rc.Success && rh.FIPSApproved {
		h.t.Errorf("error %v with the FIPS-approved indicator set", rh.Status)
	}
	return rh.Status
}

func (h *harness) generate(s *rawSession, kind wire.KeyKind, usage wire.KeyUsage) *wire.GenerateKeyResponse {
	h.t.Helper()
	var r wire.GenerateKeyResponse
	if code := h.in(s, &wire.GenerateKeyRequest{Kind: kind, Usage: usage}, &r); code != rc.Success {
		h.t.Fatalf("GenerateKey %v: %v", kind, code)
	}
	return &r
}

func expect(t testing.TB, what string, got, want rc.Code) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %v, want %v", what, got, want)
	}
}
