package device

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// errorRows holds one test per row of the spec's error tables: "common/S"
// for a row of wire.yaml common_errors, "Command/S" for a row of a
// command's table. TestErrorTablesCovered fails for a row without one.
func errorRows() map[string]func(t *testing.T, h *harness) {
	signKey := func(h *harness, s *rawSession) uint32 {
		return h.generate(s, wire.KeyKindEccP256, wire.KeyUsageSign|wire.KeyUsageVerify).KeyHandle
	}
	digest := sha256.Sum256([]byte("x"))
	lockOut := func(t *testing.T, h *harness) {
		for range 5 {
			if _, code := h.open([]byte("wrong-pin-123")); code != rc.PinIncorrect {
				t.Fatalf("wrong PIN: %v", code)
			}
		}
	}
	rows := map[string]func(t *testing.T, h *harness){
		"common/DecodeFailed": func(t *testing.T, h *harness) {
			for _, p := range [][]byte{{}, {0xff}, {0xa2, 0x01}, append(h.payload(h.session(), &wire.ListKeysRequest{}), 0)} {
				rh, _ := h.raw(p)
				expect(t, "malformed", rh.Status, rc.DecodeFailed)
			}
			// A body that is not the command's request.
			rh, _ := h.send(h.header(wire.OpGetDeviceInfo, 0), wire.Envelope{Body: []byte{0xa1, 0x19, 0x01, 0x00, 0x01}})
			expect(t, "unknown body key", rh.Status, rc.DecodeFailed)
		},
		"common/FrameTooLarge": func(t *testing.T, h *harness) {
			// Framing belongs to the transport: package server answers it
			// (TestFrameTooLargeClosesConnection); here the in-process
			// endpoint's reader is wire.ReadFrame with the same limit.
			var b bytes.Buffer
			b.Write([]byte{0, 1, 0, 1})
			if _, err := wire.ReadFrame(&b, wire.MaxFrame); rc.FromError(err) != rc.FrameTooLarge {
				t.Fatalf("ReadFrame: %v", err)
			}
		},
		"common/Busy": func(t *testing.T, h *harness) {
			// Busy belongs to the transport: package server answers a
			// connection over its limit with it (TestConnectionLimit). The
			// endpoint itself has no queue and answers every request it is
			// handed, however many arrive at once.
			var wg sync.WaitGroup
			codes := make([]rc.Code, 32)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out := h.ep.Handle(t.Context(), mustEncode(t, wire.RequestHeader{Revision: wire.Revision, Opcode: wire.OpGetDeviceInfo, RequestID: uint32(i + 1)}))
					rh, _, err := wire.DecodeResponse(out)
					if err != nil {
						t.Error(err)
					}
					codes[i] = rh.Status
				}()
			}
			wg.Wait()
			for i, c := range codes {
				expect(t, fmt.Sprintf("request %d of 32 at once", i+1), c, rc.Success)
			}
		},
		"common/UnsupportedRevision": func(t *testing.T, h *harness) {
			hdr := h.header(wire.OpGetDeviceInfo, 0)
			hdr.Revision = 0x0200
			rh, _ := h.send(hdr, wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "revision 2.0", rh.Status, rc.UnsupportedRevision)
			hdr.Revision = 0x0101
			rh, _ = h.send(hdr, wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "revision 1.1", rh.Status, rc.Success)
			hdr = h.header(wire.OpGetApiRevision, 0)
			hdr.Revision = 0x0900
			rh, _ = h.send(hdr, wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "GetApiRevision at 9.0", rh.Status, rc.Success)
		},
		"common/UnknownOpcode": func(t *testing.T, h *harness) {
			rh, _ := h.send(h.header(0x0999, 0), wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "opcode 0x0999", rh.Status, rc.UnknownOpcode)
		},
		"common/InvalidArgument": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "undefined kind", h.in(s, &wire.GenerateKeyRequest{Kind: 99, Usage: wire.KeyUsageSign}, nil), rc.InvalidArgument)
			expect(t, "undefined usage bit", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes256, Usage: 1 << 12}, nil), rc.InvalidArgument)
			expect(t, "report_data too long", h.plain(&wire.GetDeviceAttestationRequest{ReportData: make([]byte, 65)}, nil), rc.InvalidArgument)
		},
		"common/DeviceNotOperational": func(t *testing.T, h *harness) {
			if err := h.d.FailSelfTest("KAT-AES-GCM"); err != nil {
				t.Fatal(err)
			}
			expect(t, "GetCredentialKey in Error", h.plain(&wire.GetCredentialKeyRequest{}, nil), rc.DeviceNotOperational)
			expect(t, "RunSelfTest in Error", h.plain(&wire.RunSelfTestRequest{}, nil), rc.DeviceNotOperational)
			var st wire.GetSelfTestStatusResponse
			expect(t, "GetSelfTestStatus in Error", h.plain(&wire.GetSelfTestStatusRequest{}, &st), rc.Success)
			if st.State != wire.SelfTestStateFailed || st.DeviceState != wire.DeviceStateError || !slices.Contains(st.Failed, "KAT-AES-GCM") {
				t.Errorf("self-test status %+v", st)
			}
		},
		"common/DeviceTampered": func(t *testing.T, h *harness) {
			s := h.session()
			if err := h.d.Tamper(); err != nil {
				t.Fatal(err)
			}
			expect(t, "in-session after tamper", h.in(s, &wire.ListKeysRequest{}, nil), rc.DeviceTampered)
			expect(t, "GetCertificateChain after tamper", h.plain(&wire.GetCertificateChainRequest{}, nil), rc.DeviceTampered)
			var info wire.GetDeviceInfoResponse
			expect(t, "GetDeviceInfo after tamper", h.plain(&wire.GetDeviceInfoRequest{}, &info), rc.Success)
			if info.DeviceState != wire.DeviceStateTampered {
				t.Errorf("device state %v", info.DeviceState)
			}
		},
		"common/DeviceZeroized": func(t *testing.T, h *harness) {
			if err := h.d.ZeroizeAll(); err != nil {
				t.Fatal(err)
			}
			expect(t, "GetCredentialKey after zeroize-all", h.plain(&wire.GetCredentialKeyRequest{}, nil), rc.DeviceZeroized)
		},
		"common/InternalError": func(t *testing.T, h *harness) {
			// Nothing a client sends reaches InternalError (FuzzHandle); the
			// recovery path is exercised on an endpoint without a device.
			out := Endpoint{}.Handle(t.Context(), []byte{0xa0})
			rh, _, err := wire.DecodeResponse(out)
			if err != nil || rh.Status != rc.InternalError {
				t.Fatalf("%+v %v", rh, err)
			}
		},
		"common/SessionNotExpected": func(t *testing.T, h *harness) {
			s := h.session()
			rh, _ := h.send(h.header(wire.OpGetDeviceInfo, s.id), wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "session_id on a none command", rh.Status, rc.SessionNotExpected)
			rh, _ = h.send(h.header(wire.OpGetDeviceInfo, 0), wire.Envelope{Sealed: make([]byte, 16)})
			expect(t, "sealed none command", rh.Status, rc.SessionNotExpected)
			rh, _ = h.send(h.header(wire.OpOpenSession, s.id), wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "session_id on OpenSession", rh.Status, rc.SessionNotExpected)
		},
		"common/SessionExpected": func(t *testing.T, h *harness) {
			h.session()
			rh, _ := h.send(h.header(wire.OpListKeys, 0), wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "no session_id", rh.Status, rc.SessionExpected)
		},
		"common/SessionNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			other := &rawSession{id: s.id + 1, ch: s.ch}
			expect(t, "unknown session", h.in(other, &wire.ListKeysRequest{}, nil), rc.SessionNotFound)
			// A session of partition 0 is unknown on partition 1.
			h1 := h.on(1)
			h1.session()
			expect(t, "other partition's session", h1.in(s, &wire.ListKeysRequest{}, nil), rc.SessionNotFound)
		},
		"common/SessionNeedsRenegotiation": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			expect(t, "after migrate", h.in(s, &wire.ListKeysRequest{}, nil), rc.SessionNeedsRenegotiation)
		},
		"common/ChannelRequired": func(t *testing.T, h *harness) {
			s := h.session()
			rh, _ := h.send(h.header(wire.OpListKeys, s.id), wire.Envelope{Body: wire.EmptyBody()})
			expect(t, "plaintext in session", rh.Status, rc.ChannelRequired)
		},
		"common/ChannelSequenceError": func(t *testing.T, h *harness) {
			s := h.session()
			p := h.payload(s, &wire.ListKeysRequest{})
			rh, _ := h.raw(p)
			expect(t, "first", rh.Status, rc.Success)
			rh, _ = h.raw(p)
			expect(t, "replay", rh.Status, rc.ChannelSequenceError)
			// A gap is refused too and does not advance the sequence.
			hdr := h.header(wire.OpListKeys, s.id)
			hdr.Sequence = 5
			rh, _ = h.send(hdr, wire.Envelope{Sealed: make([]byte, 32)})
			expect(t, "gap", rh.Status, rc.ChannelSequenceError)
			expect(t, "next after errors", h.in(s, &wire.ListKeysRequest{}, nil), rc.Success)
		},
		"common/ChannelAuthFailed": func(t *testing.T, h *harness) {
			s := h.session()
			_, p := h.sealedFrame(s, &wire.ListKeysRequest{})
			p[len(p)-1] ^= 1
			rh, _ := h.raw(p)
			expect(t, "flipped tag", rh.Status, rc.ChannelAuthFailed)
			// The header is authenticated too: the same sealed body under
			// another request_id fails (a fresh session, since the refused
			// request above left this client's sequence ahead).
			s2, _ := h.open(testPIN)
			_, p2 := h.sealedFrame(s2, &wire.ListKeysRequest{})
			rh2, env, err := wire.DecodeRequest(p2)
			if err != nil {
				t.Fatal(err)
			}
			rh2.RequestID++
			out, _ := wire.EncodeRequest(rh2, env)
			got, _ := h.raw(out)
			expect(t, "altered header", got.Status, rc.ChannelAuthFailed)
		},
		"common/PartitionNotProvisioned": func(t *testing.T, h *harness) {
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpOpenSession, testPIN)
			expect(t, "OpenSession", h.plain(&wire.OpenSessionRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.PartitionNotProvisioned)
			rh, _ := h.send(h.header(wire.OpListKeys, 7), wire.Envelope{Sealed: make([]byte, 16)})
			expect(t, "in-session", rh.Status, rc.PartitionNotProvisioned)
		},

		"RunSelfTest/SelfTestFailed": func(t *testing.T, h *harness) {
			// The boundary fails a forced KAT at power-on; RunSelfTest then
			// reports it from the Error state it leaves the device in. A
			// healthy run answers Success.
			var r wire.RunSelfTestResponse
			expect(t, "healthy", h.plain(&wire.RunSelfTestRequest{}, &r), rc.Success)
			if r.State != wire.SelfTestStatePassed || r.TestsRun == 0 {
				t.Errorf("%+v", r)
			}
			if err := h.d.FailSelfTest("KAT-SHA2"); err != nil {
				t.Fatal(err)
			}
			if h.d.State() != StateError {
				t.Fatalf("state %v", h.d.State())
			}
		},
		"EstablishCredential/PartitionAlreadyProvisioned": func(t *testing.T, h *harness) {
			expect(t, "first", h.establish(testPIN), rc.Success)
			expect(t, "second", h.establish(testPIN), rc.PartitionAlreadyProvisioned)
		},
		"EstablishCredential/NonceInvalid": func(t *testing.T, h *harness) {
			pub, nonce, sealed, _ := h.credential(wire.LabelEstablish, wire.OpEstablishCredential, testPIN)
			bad := bytes.Clone(nonce)
			bad[0] ^= 1
			expect(t, "wrong nonce", h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: pub, Nonce: bad, SealedPIN: sealed}, nil), rc.NonceInvalid)
			expect(t, "spent nonce", h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.NonceInvalid)
			// A nonce of partition 1 is not valid on partition 0.
			h1 := h.on(1)
			pub1, nonce1, sealed1, _ := h1.credential(wire.LabelEstablish, wire.OpEstablishCredential, testPIN)
			expect(t, "other endpoint's nonce", h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: pub1, Nonce: nonce1, SealedPIN: sealed1}, nil), rc.NonceInvalid)
		},
		"EstablishCredential/InvalidPublicKey": func(t *testing.T, h *harness) {
			_, nonce, sealed, _ := h.credential(wire.LabelEstablish, wire.OpEstablishCredential, testPIN)
			bad := make([]byte, 97)
			bad[0] = 4
			expect(t, "not a point", h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: bad, Nonce: nonce, SealedPIN: sealed}, nil), rc.InvalidPublicKey)
		},
		"EstablishCredential/CredentialDecryptFailed": func(t *testing.T, h *harness) {
			pub, nonce, sealed, _ := h.credential(wire.LabelEstablish, wire.OpEstablishCredential, testPIN)
			sealed[0] ^= 1
			expect(t, "bad seal", h.plain(&wire.EstablishCredentialRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.CredentialDecryptFailed)
		},
		"EstablishCredential/PinPolicyViolation": func(t *testing.T, h *harness) {
			expect(t, "7-byte PIN", h.establish([]byte("1234567")), rc.PinPolicyViolation)
		},
		"ChangePin/PinIncorrect": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "wrong current", h.in(s, &wire.ChangePinRequest{CurrentPIN: []byte("nope-nope"), NewPIN: []byte("abcdefghij")}, nil), rc.PinIncorrect)
			expect(t, "right current", h.in(s, &wire.ChangePinRequest{CurrentPIN: testPIN, NewPIN: []byte("abcdefghij")}, nil), rc.Success)
			if _, code := h.open([]byte("abcdefghij")); code != rc.Success {
				t.Fatalf("new PIN: %v", code)
			}
		},
		"ChangePin/PinLockedOut": func(t *testing.T, h *harness) {
			s := h.session()
			lockOut(t, h)
			expect(t, "locked", h.in(s, &wire.ChangePinRequest{CurrentPIN: testPIN, NewPIN: []byte("abcdefghij")}, nil), rc.PinLockedOut)
		},
		"ChangePin/PinPolicyViolation": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "short new PIN", h.in(s, &wire.ChangePinRequest{CurrentPIN: testPIN, NewPIN: []byte("short")}, nil), rc.PinPolicyViolation)
		},
		"OpenSession/SessionLimitReached": func(t *testing.T, h *harness) {
			h.session()
			for i := 1; i < DefaultMaxSessions; i++ {
				if _, code := h.open(testPIN); code != rc.Success {
					t.Fatalf("session %d: %v", i+1, code)
				}
			}
			_, code := h.open(testPIN)
			expect(t, "ninth", code, rc.SessionLimitReached)
		},
		"OpenSession/NonceInvalid": func(t *testing.T, h *harness) {
			h.session()
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpOpenSession, testPIN)
			h.credential(wire.LabelSession, wire.OpOpenSession, testPIN) // replaces the nonce
			expect(t, "replaced nonce", h.plain(&wire.OpenSessionRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.NonceInvalid)
		},
		"OpenSession/InvalidPublicKey": func(t *testing.T, h *harness) {
			h.session()
			_, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpOpenSession, testPIN)
			bad := make([]byte, 97)
			bad[0] = 4
			expect(t, "not a point", h.plain(&wire.OpenSessionRequest{ClientPublicKey: bad, Nonce: nonce, SealedPIN: sealed}, nil), rc.InvalidPublicKey)
		},
		"OpenSession/CredentialDecryptFailed": func(t *testing.T, h *harness) {
			h.session()
			pub, nonce, sealed, _ := h.credential(wire.LabelEstablish, wire.OpOpenSession, testPIN) // wrong label
			expect(t, "establish label", h.plain(&wire.OpenSessionRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.CredentialDecryptFailed)
		},
		"OpenSession/PinIncorrect": func(t *testing.T, h *harness) {
			h.session()
			_, code := h.open([]byte("wrong-pin-123"))
			expect(t, "wrong PIN", code, rc.PinIncorrect)
		},
		"OpenSession/PinLockedOut": func(t *testing.T, h *harness) {
			h.session()
			lockOut(t, h)
			_, code := h.open(testPIN)
			expect(t, "correct PIN while locked", code, rc.PinLockedOut)
			var info wire.GetDeviceInfoResponse
			h.plain(&wire.GetDeviceInfoRequest{}, &info)
			if info.PartitionState != wire.PartitionStateLockedOut {
				t.Errorf("partition state %v", info.PartitionState)
			}
			// Backoff 1 s after the fifth failure: the device clock moves.
			h.d.AdvanceClock(1100 * time.Millisecond)
			if _, code := h.open(testPIN); code != rc.Success {
				t.Fatalf("after the backoff: %v", code)
			}
		},
		"ReopenSession/SessionNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpReopenSession, testPIN)
			expect(t, "session not migrated", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.SessionNotFound)
		},
		"ReopenSession/NonceInvalid": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpReopenSession, testPIN)
			nonce[5] ^= 1
			expect(t, "bad nonce", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.NonceInvalid)
		},
		"ReopenSession/InvalidPublicKey": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			_, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpReopenSession, testPIN)
			bad := make([]byte, 97)
			bad[0] = 4
			expect(t, "not a point", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: bad, Nonce: nonce, SealedPIN: sealed}, nil), rc.InvalidPublicKey)
		},
		"ReopenSession/CredentialDecryptFailed": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpOpenSession, testPIN) // wrong opcode in AAD
			expect(t, "OpenSession AAD", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.CredentialDecryptFailed)
		},
		"ReopenSession/PinIncorrect": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpReopenSession, []byte("wrong-pin-123"))
			expect(t, "wrong PIN", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.PinIncorrect)
			// The right PIN reopens: same id, new keys, sequence from 1.
			pub, nonce, sealed, ch := h.credential(wire.LabelSession, wire.OpReopenSession, testPIN)
			var r wire.ReopenSessionResponse
			expect(t, "reopen", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, &r), rc.Success)
			if r.SessionID != s.id {
				t.Fatalf("reopened as %d", r.SessionID)
			}
			s.ch = ch
			expect(t, "after reopen", h.in(s, &wire.ListKeysRequest{}, nil), rc.Success)
		},
		"ReopenSession/PinLockedOut": func(t *testing.T, h *harness) {
			s := h.session()
			h.d.Migrate()
			lockOut(t, h)
			pub, nonce, sealed, _ := h.credential(wire.LabelSession, wire.OpReopenSession, testPIN)
			expect(t, "locked", h.plain(&wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, nil), rc.PinLockedOut)
		},

		"GenerateKey/UnsupportedKeyKind": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "Secret256", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindSecret256, Usage: wire.KeyUsageDerive}, nil), rc.UnsupportedKeyKind)
		},
		"GenerateKey/UsageNotPermitted": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "AES sign", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes256, Usage: wire.KeyUsageSign}, nil), rc.UsageNotPermitted)
		},
		"GenerateKey/KeyTagExists": func(t *testing.T, h *harness) {
			s := h.session()
			tag := uint16(3)
			expect(t, "first", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt, Tag: &tag}, nil), rc.Success)
			expect(t, "second", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt, Tag: &tag}, nil), rc.KeyTagExists)
		},
		"GenerateKey/KeyLimitReached": func(t *testing.T, h *harness) {
			h2 := newHarness(t, Config{MaxKeys: 2})
			s := h2.session()
			h2.generate(s, wire.KeyKindAes128, wire.KeyUsageEncrypt)
			h2.generate(s, wire.KeyKindAes128, wire.KeyUsageEncrypt)
			expect(t, "third", h2.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt}, nil), rc.KeyLimitReached)
		},
		"OpenKey/KeyTagNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "no tag 9", h.in(s, &wire.OpenKeyRequest{Tag: 9}, nil), rc.KeyTagNotFound)
		},
		"DeleteKey/KeyNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			k := signKey(h, s)
			expect(t, "delete", h.in(s, &wire.DeleteKeyRequest{KeyHandle: k}, nil), rc.Success)
			expect(t, "again", h.in(s, &wire.DeleteKeyRequest{KeyHandle: k}, nil), rc.KeyNotFound)
		},
		"GetPublicKey/KeyNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "no key", h.in(s, &wire.GetPublicKeyRequest{KeyHandle: 12345}, nil), rc.KeyNotFound)
		},
		"UnmaskKey/MaskedKeyMalformed": func(t *testing.T, h *harness) {
			s := h.session()
			g := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt)
			expect(t, "truncated", h.in(s, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey[:40]}, nil), rc.MaskedKeyMalformed)
		},
		"UnmaskKey/MaskedKeyVersionUnsupported": func(t *testing.T, h *harness) {
			s := h.session()
			g := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt)
			b := bytes.Clone(g.MaskedKey)
			b[4] = 2
			expect(t, "version 2", h.in(s, &wire.UnmaskKeyRequest{MaskedKey: b}, nil), rc.MaskedKeyVersionUnsupported)
		},
		"UnmaskKey/MaskedKeyWrongPartition": func(t *testing.T, h *harness) {
			s := h.session()
			h1 := h.on(1)
			s1 := h1.session()
			g := h1.generate(s1, wire.KeyKindAes256, wire.KeyUsageEncrypt)
			expect(t, "blob of partition 1", h.in(s, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey}, nil), rc.MaskedKeyWrongPartition)
		},
		"UnmaskKey/MaskedKeyTampered": func(t *testing.T, h *harness) {
			s := h.session()
			g := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt)
			b := bytes.Clone(g.MaskedKey)
			b[len(b)-1] ^= 1
			expect(t, "flipped tag", h.in(s, &wire.UnmaskKeyRequest{MaskedKey: b}, nil), rc.MaskedKeyTampered)
		},
		"UnmaskKey/KeyTagExists": func(t *testing.T, h *harness) {
			s := h.session()
			tag := uint16(4)
			var g wire.GenerateKeyResponse
			h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt, Tag: &tag}, &g)
			expect(t, "same tag loaded", h.in(s, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey}, nil), rc.KeyTagExists)
		},
		"UnmaskKey/KeyLimitReached": func(t *testing.T, h *harness) {
			h2 := newHarness(t, Config{MaxKeys: 1})
			s := h2.session()
			g := h2.generate(s, wire.KeyKindAes128, wire.KeyUsageEncrypt)
			expect(t, "second copy", h2.in(s, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey}, nil), rc.KeyLimitReached)
		},
		"Sign/KeyNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "no key", h.in(s, &wire.SignRequest{KeyHandle: 1, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]}, nil), rc.KeyNotFound)
		},
		"Sign/UsageNotPermitted": func(t *testing.T, h *harness) {
			s := h.session()
			k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageVerify).KeyHandle
			expect(t, "verify-only key", h.in(s, &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]}, nil), rc.UsageNotPermitted)
		},
		"Sign/AlgorithmMismatch": func(t *testing.T, h *harness) {
			s := h.session()
			k := signKey(h, s)
			expect(t, "RSA-PSS with an EC key", h.in(s, &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmRsaPssSha256, Data: digest[:]}, nil), rc.AlgorithmMismatch)
		},
		"Sign/DigestMismatch": func(t *testing.T, h *harness) {
			s := h.session()
			k := signKey(h, s)
			expect(t, "31-byte digest", h.in(s, &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:31]}, nil), rc.DigestMismatch)
		},
		"Verify/SignatureInvalid": func(t *testing.T, h *harness) {
			s := h.session()
			k := signKey(h, s)
			var sig wire.SignResponse
			h.in(s, &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]}, &sig)
			expect(t, "good", h.in(s, &wire.VerifyRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:], Signature: sig.Signature}, nil), rc.Success)
			other := sha256.Sum256([]byte("y"))
			expect(t, "other digest", h.in(s, &wire.VerifyRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: other[:], Signature: sig.Signature}, nil), rc.SignatureInvalid)
		},
		"Encrypt/InvalidLength": func(t *testing.T, h *harness) {
			s := h.session()
			k := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt).KeyHandle
			expect(t, "16-byte GCM IV", h.in(s, &wire.EncryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte("p"), IV: make([]byte, 16)}, nil), rc.InvalidLength)
		},
		"Decrypt/DecryptFailed": func(t *testing.T, h *harness) {
			s := h.session()
			k := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt|wire.KeyUsageDecrypt).KeyHandle
			var e wire.EncryptResponse
			h.in(s, &wire.EncryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte("p")}, &e)
			e.Ciphertext[0] ^= 1
			expect(t, "tampered", h.in(s, &wire.DecryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Ciphertext: e.Ciphertext, IV: e.IV}, nil), rc.DecryptFailed)
		},
		"Hmac/UnsupportedKeyKind": func(t *testing.T, h *harness) {
			s := h.session()
			k := signKey(h, s)
			expect(t, "EC key", h.in(s, &wire.HmacRequest{KeyHandle: k, Message: []byte("m")}, nil), rc.UnsupportedKeyKind)
		},
		"EcdhDerive/InvalidPublicKey": func(t *testing.T, h *harness) {
			s := h.session()
			k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageDerive).KeyHandle
			bad := make([]byte, 65)
			bad[0] = 4
			expect(t, "not a point", h.in(s, &wire.EcdhDeriveRequest{KeyHandle: k, PeerPublicKey: bad, Usage: wire.KeyUsageDerive}, nil), rc.InvalidPublicKey)
		},
		"AttestKey/KeyNotFound": func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "no key", h.in(s, &wire.AttestKeyRequest{KeyHandle: 77}, nil), rc.KeyNotFound)
		},
	}
	moreRows(rows)
	return rows
}

func TestErrorRows(t *testing.T) {
	for name, run := range errorRows() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, newHarness(t, Config{Partitions: 2}))
		})
	}
}

// TestErrorTablesCovered checks that every row of the spec's error tables
// has a test in errorRows, and that errorRows tests no row the spec lacks.
func TestErrorTablesCovered(t *testing.T) {
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range s.Wire.CommonErrors {
		want["common/"+r.Status] = true
	}
	for _, c := range s.Commands {
		for _, r := range c.Errors {
			want[c.Name+"/"+r.Status] = true
		}
	}
	have := errorRows()
	var missing, extra []string
	for k := range want {
		if have[k] == nil {
			missing = append(missing, k)
		}
	}
	for k := range have {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("tests for rows the spec does not have: %v", extra)
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d error-table rows have no device test: %v", len(missing), len(want), missing)
	}
}

func mustEncode(t *testing.T, h wire.RequestHeader) []byte {
	p, err := wire.EncodeRequest(h, wire.Envelope{Body: wire.EmptyBody()})
	if err != nil {
		t.Error(err)
	}
	return p
}
