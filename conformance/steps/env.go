package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// DefaultPIN is the PIN the suite provisions partitions with when the run
// names none (spec: PIN length 8..64 bytes).
const DefaultPIN = "conformance-pin-0001"

// Env is what all scenarios of a run share. It is read-only after NewEnv,
// apart from its internal caches and locks.
type Env struct {
	Spec     *model.Spec
	Driver   driver.Driver
	Control  driver.Control // nil without a control channel
	Recorder *transcript.Recorder
	PIN      []byte

	schemaMu sync.Mutex
	schemas  map[string]*jsonschema.Schema

	// credMu serialises this run's credential exchanges per partition: a
	// device keeps one outstanding GetCredentialKey nonce per endpoint,
	// so two scenarios authenticating at once would consume each other's.
	credMu []sync.Mutex

	// tags hands out tags no two scenarios of the run share (tags are
	// unique in a partition, spec: IHSM-KEY-004), from a random start so
	// that keys a previous run left behind are unlikely to hold them.
	tags atomic.Uint32
}

// NewEnv returns the shared environment of a run. rec may be nil.
func NewEnv(spec *model.Spec, d driver.Driver, rec *transcript.Recorder, pin []byte) (*Env, error) {
	if spec == nil || d == nil {
		return nil, errors.New("steps: a spec and a driver are required")
	}
	if len(pin) == 0 {
		pin = []byte(DefaultPIN)
	}
	if rec == nil {
		rec = transcript.New(nil)
	}
	ctl, _ := driver.ControlOf(d)
	e := &Env{
		Spec: spec, Driver: d, Control: ctl, Recorder: rec, PIN: pin,
		schemas: map[string]*jsonschema.Schema{},
		credMu:  make([]sync.Mutex, max(d.Partitions(), 1)),
	}
	var b [2]byte
	rand.Read(b[:])
	e.tags.Store(uint32(b[0])<<8 | uint32(b[1]))
	return e, nil
}

// newTag returns a tag (1..65535) no other scenario of the run has had.
func (e *Env) newTag() uint16 {
	for {
		if t := uint16(e.tags.Add(1)); t != 0 {
			return t
		}
	}
}

// schema returns the compiled JSON Schema of a message (XxxRequest,
// XxxResponse, RequestHeader, ResponseHeader) from wire.SchemaFS.
func (e *Env) schema(name string) (*jsonschema.Schema, error) {
	e.schemaMu.Lock()
	defer e.schemaMu.Unlock()
	if s, ok := e.schemas[name]; ok {
		return s, nil
	}
	data, err := fs.ReadFile(wire.SchemaFS, "schema/"+name+".json")
	if err != nil {
		return nil, fmt.Errorf("no JSON Schema for %s in the spec: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	url := "mem:///" + name + ".json"
	if err := c.AddResource(url, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	e.schemas[name] = s
	return s, nil
}

func (e *Env) lockCredential(partition int) func() {
	if partition < 0 || partition >= len(e.credMu) {
		return func() {}
	}
	e.credMu[partition].Lock()
	return e.credMu[partition].Unlock
}

// Query sends one command outside any session to partition 0 and returns
// the JSON form of its response (field names as in the spec) and the
// status. The runner uses it to check an implementation's claims.
func (e *Env) Query(ctx context.Context, command string) (map[string]any, rc.Code, error) {
	s := newScenario(e, "implementation check", nil)
	defer s.dropConns()
	cmd, err := s.command(command)
	if err != nil {
		return nil, 0, err
	}
	if err := s.send(ctx, cmd, nil, sendMode{}); err != nil {
		return nil, 0, err
	}
	if s.last.problem != nil {
		return nil, s.last.status, fmt.Errorf("%s: %w", command, s.last.problem)
	}
	return s.last.fields, s.last.status, nil
}

// DeviceAttestation asks partition 0 for the certificate chain and a
// device attestation bound to a fresh nonce, and verifies the report
// against the chain (spec: GetDeviceAttestation). The runner records the
// attested firmware measurement, so that evidence can tie the run to the
// binary it tested.
func (e *Env) DeviceAttestation(ctx context.Context) (*client.DeviceReport, error) {
	s := newScenario(e, "implementation check", nil)
	defer s.dropConns()
	get := func(command string, table map[string]string) error {
		cmd, err := s.command(command)
		if err != nil {
			return err
		}
		if err := s.send(ctx, cmd, table, sendMode{}); err != nil {
			return err
		}
		if s.last.problem != nil {
			return fmt.Errorf("%s: %w", command, s.last.problem)
		}
		if s.last.status != rc.Success {
			return fmt.Errorf("%s: status %s", command, statusName(s.last.status))
		}
		return nil
	}
	if err := get("GetCertificateChain", nil); err != nil {
		return nil, err
	}
	v, err := s.responseValue(s.last, "certificates")
	if err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	var chain [][]byte
	for _, c := range list {
		if b, ok := c.([]byte); ok {
			chain = append(chain, b)
		}
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	if err := get("GetDeviceAttestation", map[string]string{"report_data": "hex:" + hex.EncodeToString(nonce)}); err != nil {
		return nil, err
	}
	report, err := s.fieldBytes(s.last, "report")
	if err != nil {
		return nil, err
	}
	r, _, err := client.VerifyDeviceAttestation(report, chain, client.WithReportData(nonce))
	if err != nil {
		return nil, fmt.Errorf("device attestation: %w", err)
	}
	return r, nil
}
