package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/openihsm/openihsm/spec/rc"
	"io/fs"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/model"
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
	return &Env{
		Spec: spec, Driver: d, Control: ctl, Recorder: rec, PIN: pin,
		schemas: map[string]*jsonschema.Schema{},
		credMu:  make([]sync.Mutex, max(d.Partitions(), 1)),
	}, nil
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
