package device

import (
	"context"
	"slices"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
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
