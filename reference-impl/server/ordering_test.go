package server

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestPipelinedSessionInOrder writes 100 sealed requests of one session in
// one burst: the server must run them in arrival order, or the channel
// would refuse them as out of sequence.
func TestPipelinedSessionInOrder(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d})
	ctx := context.Background()
	target := s.Endpoints()[0].Target()
	tr, err := transport.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	pin := []byte("pipeline-pin")
	if _, err := client.New(tr).EstablishCredential(ctx, pin); err != nil {
		t.Fatal(err)
	}
	conn, err := transport.DialRaw(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := func(id uint32, sid uint32, env wire.Envelope, op uint16) (wire.ResponseHeader, wire.Envelope) {
		p, err := wire.EncodeRequest(wire.RequestHeader{Revision: wire.Revision, Opcode: op, RequestID: id, SessionID: sid}, env)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.WriteFrame(p); err != nil {
			t.Fatal(err)
		}
		out, err := conn.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		rh, renv, err := wire.DecodeResponse(out)
		if err != nil {
			t.Fatal(err)
		}
		return rh, renv
	}
	// The credential exchange, by hand.
	rh, env := call(1, 0, wire.Envelope{Body: wire.EmptyBody()}, wire.OpGetCredentialKey)
	var ck wire.GetCredentialKeyResponse
	if err := wire.Unmarshal(env.Body, &ck); err != nil || rh.Status != rc.Success {
		t.Fatal(rh.Status, err)
	}
	e, _ := ecdh.P384().GenerateKey(rand.Reader)
	dp, _ := ecdh.P384().NewPublicKey(ck.PublicKey)
	z, _ := e.ECDH(dp)
	kPin, kC2D, kD2C, _ := wire.DeriveCredentialKeys(z, ck.Nonce, e.PublicKey().Bytes(), ck.PublicKey, wire.LabelSession)
	sealed, _ := wire.SealPIN(kPin, wire.OpOpenSession, pin)
	body, _ := wire.Marshal(&wire.OpenSessionRequest{ClientPublicKey: e.PublicKey().Bytes(), Nonce: ck.Nonce, SealedPIN: sealed})
	rh, env = call(2, 0, wire.Envelope{Body: body}, wire.OpOpenSession)
	var os wire.OpenSessionResponse
	if err := wire.Unmarshal(env.Body, &os); err != nil || rh.Status != rc.Success {
		t.Fatal(rh.Status, err)
	}
	ch, _ := wire.NewChannel(kC2D, kD2C)

	const n = 100
	var burst []byte
	list, _ := wire.Marshal(&wire.ListKeysRequest{})
	for i := range n {
		h := wire.RequestHeader{Revision: wire.Revision, Opcode: wire.OpListKeys, RequestID: uint32(100 + i), SessionID: os.SessionID}
		sb, err := ch.SealRequest(&h, list)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := wire.EncodeRequest(h, wire.Envelope{Sealed: sb})
		burst = wire.AppendFrame(burst, p)
	}
	if _, err := conn.Write(burst); err != nil {
		t.Fatal(err)
	}
	for range n {
		out, err := conn.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		rh, _, err := wire.DecodeResponse(out)
		if err != nil || rh.Status != rc.Success {
			t.Fatalf("request %d: %v %v", rh.RequestID, rh.Status, err)
		}
	}
}
