package device

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
	"github.com/veraison/go-cose"
)

func loadSpec(t *testing.T) *model.Spec {
	t.Helper()
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStateTablesMatchSpec checks SM-DEVICE and SM-PARTITION of the device
// against states.yaml: every command in every state gets the spec's
// answer.
func TestStateTablesMatchSpec(t *testing.T) {
	s := loadSpec(t)
	check := func(id string, rule func(state string, cmd string) rc.Code) {
		sm := s.StateMachine(id)
		if sm == nil {
			t.Fatalf("no %s in the spec", id)
		}
		for _, st := range sm.States {
			for _, c := range s.Commands {
				want := rc.Success
				if !slices.Contains(st.Allow, "*") && !slices.Contains(st.Allow, c.Name) {
					want = rcByName(t, s, st.Reject)
				}
				if got := rule(st.Name, c.Name); got != want {
					t.Errorf("%s %s %s: %v, want %v", id, st.Name, c.Name, got, want)
				}
			}
		}
	}
	devStates := map[string]boundary.DeviceState{"SelfTest": boundary.StateSelfTest, "Operational": boundary.StateOperational,
		"Error": boundary.StateError, "Tampered": boundary.StateTampered, "Zeroized": boundary.StateZeroized}
	check("SM-DEVICE", func(st, cmd string) rc.Code { return stateRule(devStates[st], cmd) })
	partStates := map[string]boundary.PartitionState{"Unprovisioned": boundary.PartitionUnprovisioned,
		"Provisioned": boundary.PartitionProvisioned, "LockedOut": boundary.PartitionLockedOut}
	check("SM-PARTITION", func(st, cmd string) rc.Code { return partitionRule(partStates[st], cmd) })
}

func rcByName(t *testing.T, s *model.Spec, name string) rc.Code {
	st := s.StatusByName(name)
	if st == nil {
		t.Fatalf("no status %q", name)
	}
	return rc.Code(st.Code)
}

// TestEveryCommandHasAHandler sends every command of the registry with a
// valid empty-ish request and checks that no answer is the handler
// switch's fall-through InternalError.
func TestEveryCommandHasAHandler(t *testing.T) {
	h := newHarness(t, Config{})
	sess := h.session()
	for _, ci := range wire.Commands() {
		req := ci.NewRequest()
		var code rc.Code
		if ci.Sealed() {
			code = h.in(sess, req, nil)
		} else {
			rh, _ := h.send(h.header(ci.Opcode, 0), wire.Envelope{Body: h.marshal(req)})
			code = rh.Status
		}
		if code == rc.InternalError {
			t.Errorf("%s: InternalError", ci.Name)
		}
		if ci.Name == "CloseSession" || ci.Name == "Zeroize" {
			sess = h.session()
		}
	}
}

// TestFeaturesMatchSpec: GetCapabilities names exactly the spec's features.
func TestFeaturesMatchSpec(t *testing.T) {
	s := loadSpec(t)
	var want []string
	for _, f := range s.Meta.Features {
		want = append(want, f.Name)
	}
	got := features()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("features %v, spec %v", got, want)
	}
}

// FuzzHandle: no input makes the device panic or answer something that is
// not a decodable response, or a status the spec's error tables do not
// allow for the request (checkTable). Its seeds are a request of each
// command and every request of spec/vectors.
func FuzzHandle(f *testing.F) {
	h := newHarness(f, Config{})
	sess := h.session()
	f.Add(h.payload(sess, &wire.ListKeysRequest{}))
	f.Add([]byte{0xa2, 0x01, 0xa3, 0x01, 0x19, 0x01, 0x00, 0x02, 0x19, 0x01, 0x02, 0x03, 0x01, 0x02, 0xa0})
	f.Add([]byte{})
	for _, ci := range wire.Commands() {
		req := ci.NewRequest()
		if ci.Sealed() {
			f.Add(h.payload(sess, req))
		} else if p, err := wire.EncodeRequest(h.header(ci.Opcode, 0), wire.Envelope{Body: h.marshal(req)}); err == nil {
			f.Add(p)
		}
	}
	all, err := vectors.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range all {
		if fr, err := v.Frame(); err == nil && v.Direction == "request" && len(fr) >= 4 {
			f.Add(fr[4:])
		}
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		out := h.ep.Handle(context.Background(), p)
		rh, _, err := wire.DecodeResponse(out)
		if err != nil {
			t.Fatalf("undecodable response: %v", err)
		}
		if rh.Status == rc.InternalError {
			t.Fatalf("InternalError for %x", p)
		}
		checkTable(t, rh)
	})
}

// TestEventTransitionsMatchSpec fires every event of states.yaml the
// control channel can send, in every state of the reference HSM it can be
// put in, and checks the state it ends in against the spec: the
// transition's target, or the same state for an event the state ignores.
// A terminal state must also survive a power cycle. SM-DEVICE's SelfTest
// cannot be held from outside (the reference HSM runs its power-on
// self-tests inside the power cycle, under the control lock), so events
// from it are applied when the self-tests end; SelfTest is then seen as
// the state its self-test-pass leads to.
func TestEventTransitionsMatchSpec(t *testing.T) {
	s := loadSpec(t)
	type machine struct {
		// enter puts a fresh device into a state and returns what the
		// state is observed through; false when the state cannot be held.
		enter func(t *testing.T, h *harness, state string) (observe func() string, ok bool)
		fire  map[string]func(h *harness) error
	}
	devState := func(h *harness) string { return wire.DeviceState(h.d.State()).String() }
	fire := map[string]func(h *harness) error{
		"tamper":         func(h *harness) error { return h.d.Tamper() },
		"zeroize-all":    func(h *harness) error { return h.d.ZeroizeAll() },
		"power-cycle":    func(h *harness) error { return h.d.PowerCycle() },
		"self-test-fail": func(h *harness) error { return h.d.FailSelfTest("KAT-AES-GCM") },
		"migrate":        func(h *harness) error { h.d.Migrate(); return nil },
		"backoff-elapsed": func(h *harness) error {
			h.d.AdvanceClock(2 * time.Hour)
			return nil
		},
	}
	machines := map[string]machine{
		"SM-DEVICE": {enter: func(t *testing.T, h *harness, state string) (func() string, bool) {
			switch state {
			case "Operational":
			case "Error":
				if err := h.d.FailSelfTest("KAT-AES-GCM"); err != nil {
					t.Fatal(err)
				}
			case "Tampered":
				if err := h.d.Tamper(); err != nil {
					t.Fatal(err)
				}
			case "Zeroized":
				if err := h.d.ZeroizeAll(); err != nil {
					t.Fatal(err)
				}
			default:
				return nil, false
			}
			return func() string { return devState(h) }, true
		}, fire: fire},
		"SM-PARTITION": {enter: func(t *testing.T, h *harness, state string) (func() string, bool) {
			switch state {
			case "Unprovisioned":
			case "Provisioned":
				h.session()
			case "LockedOut":
				h.session()
				for range 5 {
					h.open([]byte("wrong-pin-123"))
				}
			default:
				return nil, false
			}
			return func() string {
				bp := h.d.cur.Load().parts[0].bp
				if bp == nil {
					return "no partition"
				}
				return wire.PartitionState(bp.State()).String()
			}, true
		}, fire: fire},
		"SM-SESSION": {enter: func(t *testing.T, h *harness, state string) (func() string, bool) {
			rs := h.session()
			sess, _ := h.d.cur.Load().parts[0].lookup(rs.id)
			switch state {
			case "Open":
			case "NeedsRenegotiation":
				h.d.Migrate()
			default:
				return nil, false
			}
			return func() string {
				sess.mu.Lock()
				defer sess.mu.Unlock()
				switch {
				case sess.closed:
					return "Closed"
				case sess.renegotiate:
					return "NeedsRenegotiation"
				}
				return "Open"
			}, true
		}, fire: fire},
	}
	checked := 0
	for _, m := range s.States {
		mach, ok := machines[m.ID]
		if !ok {
			t.Errorf("no driver for state machine %s", m.ID)
			continue
		}
		// The state a transition to SelfTest is seen as.
		seen := func(state string) string {
			if m.ID == "SM-DEVICE" && state == "SelfTest" {
				for _, tr := range m.Transitions {
					if tr.From == "SelfTest" && tr.Event == "self-test-pass" {
						return tr.To
					}
				}
			}
			return state
		}
		for _, st := range m.States {
			var cases []struct{ event, want string }
			for _, tr := range m.Transitions {
				if tr.From == st.Name && tr.Event != "" {
					cases = append(cases, struct{ event, want string }{tr.Event, seen(tr.To)})
				}
			}
			for _, e := range st.Ignores {
				cases = append(cases, struct{ event, want string }{e, st.Name})
			}
			if st.Terminal && m.ID == "SM-DEVICE" {
				cases = append(cases, struct{ event, want string }{"power-cycle", st.Name})
			}
			for _, tc := range cases {
				act := mach.fire[tc.event]
				if act == nil {
					continue // not a signal of the control channel (self-test-pass)
				}
				t.Run(m.ID+"/"+st.Name+"/"+tc.event, func(t *testing.T) {
					h := newHarness(t, Config{})
					observe, ok := mach.enter(t, h, st.Name)
					if !ok {
						t.Skipf("the reference HSM cannot be held in %s", st.Name)
					}
					if got := observe(); got != st.Name {
						t.Fatalf("entered %s, observed %s", st.Name, got)
					}
					if err := act(h); err != nil && !(st.Terminal && m.ID == "SM-DEVICE") {
						t.Fatalf("%s: %v", tc.event, err)
					}
					if got := observe(); got != tc.want {
						t.Errorf("%s in %s: %s, the spec says %s", tc.event, st.Name, got, tc.want)
					}
					if m.ID == "SM-DEVICE" {
						if final := m.State(tc.want); final != nil && final.Terminal {
							if err := h.d.PowerCycle(); err != nil {
								t.Logf("power cycle: %v", err)
							}
							if got := observe(); got != tc.want {
								t.Errorf("%s in %s, then a power cycle: %s; %s is terminal and survives a restart", tc.event, st.Name, got, tc.want)
							}
						}
					}
				})
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no event checked")
	}
}

// TestReportsFollowPayloadMaps decodes the COSE_Sign1 reports of AttestKey
// and GetDeviceAttestation into the payload maps of types.yaml with the
// strict codec: canonical, no unknown key, every field valid.
func TestReportsFollowPayloadMaps(t *testing.T) {
	h := newHarness(t, Config{})
	sess := h.session()
	payload := func(report []byte) []byte {
		var m cose.Sign1Message
		if err := m.UnmarshalCBOR(report); err != nil {
			t.Fatalf("not a tagged COSE_Sign1: %v", err)
		}
		return m.Payload
	}
	k := h.generate(sess, wire.KeyKindEccP256, wire.KeyUsageSign)
	for _, data := range [][]byte{nil, []byte("nonce")} {
		var ak wire.AttestKeyResponse
		if code := h.in(sess, &wire.AttestKeyRequest{KeyHandle: k.KeyHandle, ReportData: data}, &ak); code != rc.Success {
			t.Fatal(code)
		}
		var kp wire.KeyAttestationPayload
		if err := wire.UnmarshalPayload(payload(ak.Report), &kp); err != nil {
			t.Fatalf("key report with report_data %q: %v", data, err)
		}
		if kp.Type != 1 || kp.Kind != wire.KeyKindEccP256 || kp.Usage != wire.KeyUsageSign || !bytes.Equal(kp.ReportData, data) ||
			kp.Flags != wire.KeyFlagsGenerated|wire.KeyFlagsPersistent || len(kp.PublicKey) == 0 {
			t.Errorf("key report %+v", kp)
		}
		var da wire.GetDeviceAttestationResponse
		if code := h.plain(&wire.GetDeviceAttestationRequest{ReportData: data}, &da); code != rc.Success {
			t.Fatal(code)
		}
		var dp wire.DeviceAttestationPayload
		if err := wire.UnmarshalPayload(payload(da.Report), &dp); err != nil {
			t.Fatalf("device report with report_data %q: %v", data, err)
		}
		if dp.Type != 2 || dp.DeviceState != wire.DeviceStateOperational || !bytes.Equal(dp.ReportData, data) || dp.Serial == "" {
			t.Errorf("device report %+v", dp)
		}
	}
}

// TestKeyPolicyMatchesSpec checks the boundary's usage policy and the
// fit of algorithms to kinds against types.yaml key_policy: for every kind,
// the usage bits it permits and, for every algorithm, whether it fits.
func TestKeyPolicyMatchesSpec(t *testing.T) {
	s := loadSpec(t)
	kp := s.Types.KeyPolicy
	if kp == nil {
		t.Fatal("types.yaml has no key_policy")
	}
	bit := func(name string) keys.Usage {
		for _, b := range s.Flags(model.KeyUsageFlags).Bits {
			if b.Name == name {
				return keys.Usage(1) << b.Bit
			}
		}
		t.Fatalf("no KeyUsage bit %s", name)
		return 0
	}
	var all keys.Usage
	for _, u := range kp.AllKinds {
		all |= bit(u)
	}
	for _, kv := range s.Enum(model.KeyKindEnum).Values {
		p := s.KindPolicy(kv.Name)
		if p == nil {
			t.Errorf("kind %s has no policy", kv.Name)
			continue
		}
		want := all
		for _, u := range p.Usages {
			want |= bit(u)
		}
		k := keys.Kind(kv.Value)
		if got := k.Permitted(); got != want {
			t.Errorf("%s permits usage %#x, the spec %#x", kv.Name, uint32(got), uint32(want))
		}
		for _, av := range s.Enum(model.AlgorithmEnum).Values {
			if got, want := k.Fits(keys.Algorithm(av.Value)), slices.Contains(p.Algorithms, av.Name); got != want {
				t.Errorf("%s fits %s: %v, the spec says %v", kv.Name, av.Name, got, want)
			}
		}
	}
}
