package steps

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
)

type ctxKey struct{}

// State returns the scenario state carried by a step context, or nil.
func State(ctx context.Context) *Scenario {
	s, _ := ctx.Value(ctxKey{}).(*Scenario)
	return s
}

// Register installs the step vocabulary and its hooks on a scenario
// context. Every scenario gets a fresh Scenario, created in the Before hook.
func Register(sc *godog.ScenarioContext, env *Env) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		tags := make([]string, 0, len(p.Tags))
		for _, t := range p.Tags {
			tags = append(tags, t.Name)
		}
		return context.WithValue(ctx, ctxKey{}, newScenario(env, p.Name, tags)), nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		if s := State(ctx); s != nil {
			s.cleanup(ctx)
			if err != nil {
				if rerr := s.restore(ctx); rerr != nil {
					return ctx, fmt.Errorf("restoring the device after the failure: %w", rerr)
				}
			}
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		s := State(ctx)
		// godog adds a hook's error to the step's: the step's own error
		// is not returned again, so a failure is reported once.
		if err != nil || s == nil || s.last == nil || s.checked {
			return ctx, nil
		}
		s.checked = true
		if s.last.problem != nil {
			return ctx, fmt.Errorf("response to %s: %w", s.last.name(), s.last.problem)
		}
		return ctx, nil
	})

	define(func(expr string, fn any) { sc.Step(expr, fn) })
}

// Patterns returns the regular expression of every step of the
// vocabulary, in definition order: what the features lint matches step
// texts against.
func Patterns() []string {
	var out []string
	define(func(expr string, _ any) { out = append(out, expr) })
	return out
}

// define passes every step of the vocabulary to st.
func define(st func(string, any)) {
	// Set-up.
	st(`^a provisioned partition$`, with(func(ctx context.Context, s *Scenario) error { return s.provisioned(ctx) }))
	st(`^an unprovisioned partition$`, with(func(ctx context.Context, s *Scenario) error { return s.unprovisioned(ctx) }))
	st(`^an open session(?: as "(\w+)")?$`, with1(func(ctx context.Context, s *Scenario, name string) error { return s.openSession(ctx, name) }))
	st(`^I switch to partition ([A-Z])$`, with1(func(ctx context.Context, s *Scenario, p string) error { return s.switchPartition(p) }))
	st(`^I switch to session "(\w+)"$`, with1(func(ctx context.Context, s *Scenario, n string) error { return s.switchSession(n) }))
	st(`^a key of kind (\w+) with usage (\S+) as @(\w+)$`, func(ctx context.Context, kind, usage, name string) error {
		return State(ctx).generate(ctx, kind, usage, name)
	})

	// Requests.
	const mods = `( in plaintext| without a session| with a tampered seal| skipping a sequence number| with a non-canonical body| with session id \d+| with revision \S+)?`
	st(`^I send (\w+)`+mods+`$`, func(ctx context.Context, cmd, mod string) error {
		return State(ctx).sendStep(ctx, cmd, mod, nil)
	})
	st(`^I send (\w+)`+mods+` with:$`, func(ctx context.Context, cmd, mod string, t *godog.Table) error {
		return State(ctx).sendStep(ctx, cmd, mod, t)
	})
	st(`^I send opcode (0x[0-9A-Fa-f]{1,4})$`, func(ctx context.Context, op string) error {
		n, err := strconv.ParseUint(op, 0, 16)
		if err != nil {
			return err
		}
		return State(ctx).send(ctx, nil, nil, sendMode{opcode: uint16(n)})
	})
	st(`^I replay the last request$`, with(func(ctx context.Context, s *Scenario) error { return s.replay(ctx) }))
	st(`^I send a raw frame "([0-9A-Fa-f]*)"$`, with1(func(ctx context.Context, s *Scenario, h string) error { return s.rawFrame(ctx, h) }))
	st(`^I send a length prefix of (\d+) bytes$`, with1(func(ctx context.Context, s *Scenario, n string) error { return s.lengthPrefix(ctx, n) }))
	st(`^I open sessions up to the limit$`, with(func(ctx context.Context, s *Scenario) error { return s.fillSessions(ctx) }))
	st(`^I close the session$`, with(func(ctx context.Context, s *Scenario) error {
		return s.sendStep(ctx, "CloseSession", "", nil)
	}))
	st(`^I reopen the session$`, with(func(ctx context.Context, s *Scenario) error {
		return s.sendStep(ctx, "ReopenSession", "", nil)
	}))

	// Control.
	st(`^the device is (power-cycled|tampered|migrated|reset|zeroized)$`, with1(func(ctx context.Context, s *Scenario, ev string) error { return s.control(ctx, ev, "") }))
	st(`^the clock advances by (\d+(?:ms|s|m))$`, with1(func(ctx context.Context, s *Scenario, d string) error { return s.control(ctx, "clock", d) }))
	st(`^the self-test "([^"]+)" is forced to fail$`, with1(func(ctx context.Context, s *Scenario, n string) error { return s.control(ctx, "self-test", n) }))
	st(`^the device is held in its power-on self-tests$`, with(func(ctx context.Context, s *Scenario) error { return s.control(ctx, "hold-self-test", "") }))

	// Outcomes.
	st(`^the status is (\w+)$`, with1(func(ctx context.Context, s *Scenario, name string) error { return s.statusIs(name) }))
	st(`^the response matches its schema$`, with(func(ctx context.Context, s *Scenario) error { return s.matchesSchema() }))
	st(`^the response field (\w+) is (.+)$`, with2(func(ctx context.Context, s *Scenario, f, v string) error { return s.fieldIs(f, v) }))
	st(`^the response field (\w+) has (\d+) bytes$`, with2(func(ctx context.Context, s *Scenario, f, n string) error { return s.fieldLen(f, n) }))
	st(`^the response field (\w+) (contains|does not contain) (.+)$`, func(ctx context.Context, f, op, v string) error {
		return State(ctx).fieldContains(f, op == "contains", v)
	})
	st(`^I save the key handle as @(\w+)$`, with1(func(ctx context.Context, s *Scenario, n string) error { return s.saveKey(n) }))
	st(`^I save (?:the )?field (\w+) as @(\w+)$`, with2(func(ctx context.Context, s *Scenario, f, n string) error { return s.saveField(f, n) }))
	st(`^the credential key signature verifies against the certificate chain$`, with(func(ctx context.Context, s *Scenario) error { return s.verifyCredentialKey(ctx) }))
	st(`^the signature verifies with the public key of @(\w+)$`, with1(func(ctx context.Context, s *Scenario, n string) error { return s.verifySignature(n) }))
	registerSession(st)
	registerKeys(st)
	registerMaterial(st)
	registerMasked(st)
	registerAttestation(st)
	registerGenerated(st)
}

func with(fn func(context.Context, *Scenario) error) func(context.Context) error {
	return func(ctx context.Context) error { return fn(ctx, State(ctx)) }
}

func with1(fn func(context.Context, *Scenario, string) error) func(context.Context, string) error {
	return func(ctx context.Context, a string) error { return fn(ctx, State(ctx), a) }
}

func with2(fn func(context.Context, *Scenario, string, string) error) func(context.Context, string, string) error {
	return func(ctx context.Context, a, b string) error { return fn(ctx, State(ctx), a, b) }
}

func (x *exchange) name() string {
	if x.cmd != nil {
		return x.cmd.Name
	}
	return fmt.Sprintf("opcode 0x%04X", x.header.Opcode)
}

func tableMap(t *godog.Table) (map[string]string, error) {
	m := map[string]string{}
	if t == nil {
		return m, nil
	}
	for _, r := range t.Rows {
		if len(r.Cells) != 2 {
			return nil, errors.New("a request table has two columns: field | value")
		}
		m[strings.TrimSpace(r.Cells[0].Value)] = strings.TrimSpace(r.Cells[1].Value)
	}
	return m, nil
}

func (s *Scenario) sendStep(ctx context.Context, name, mod string, t *godog.Table) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	table, err := tableMap(t)
	if err != nil {
		return err
	}
	var m sendMode
	mod = strings.TrimSpace(mod)
	switch {
	case mod == "":
	case mod == "in plaintext":
		m.plaintext = true
	case mod == "without a session":
		m.noSession = true
	case mod == "with a tampered seal":
		m.tamper = true
	case mod == "skipping a sequence number":
		m.skipSeq = true
	case mod == "with a non-canonical body":
		m.nonCanon = true
	case strings.HasPrefix(mod, "with session id "):
		n, err := parseUint(strings.TrimPrefix(mod, "with session id "))
		if err != nil || n == 0 || n > 0xFFFFFFFF {
			return fmt.Errorf("bad session id in %q", mod)
		}
		m.sessionID = uint32(n)
	case strings.HasPrefix(mod, "with revision "):
		n, err := parseUint(strings.TrimPrefix(mod, "with revision "))
		if err != nil || n > 0xFFFF {
			return fmt.Errorf("bad revision in %q", mod)
		}
		m.revision = uint16(n)
	}
	err = s.send(ctx, cmd, table, m)
	if errors.Is(err, errCredentialRefused) {
		return nil // s.last holds the refusal; the scenario asserts it
	}
	return err
}

func (s *Scenario) statusIs(name string) error {
	want, ok := rc.ByName(name)
	if !ok {
		return fmt.Errorf("the spec has no status %q", name)
	}
	if s.last == nil {
		return errors.New("no request was sent")
	}
	if s.last.status != want {
		return fmt.Errorf("%s: status %s, want %s", s.last.name(), statusName(s.last.status), name)
	}
	return nil
}

func statusName(c rc.Code) string {
	if n := c.Name(); n != "" {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(c))
}

func (s *Scenario) matchesSchema() error {
	if s.last == nil {
		return errors.New("no request was sent")
	}
	s.checked = true
	if s.last.problem != nil {
		return s.last.problem
	}
	if s.last.status == rc.Success && s.last.cmd != nil && s.last.resp == nil {
		return errors.New("no response body was checked")
	}
	return nil
}

func (s *Scenario) fieldIs(name, v string) error {
	got, err := s.responseValue(s.last, name)
	if err != nil {
		return err
	}
	f := model.Lookup(s.last.cmd.Response, name)
	want, err := s.parseValue(f, v)
	if err != nil {
		return err
	}
	if !equalValues(got, want) {
		return fmt.Errorf("%s.%s is %s, want %s", s.last.name(), name, showValue(got), showValue(want))
	}
	return nil
}

func (s *Scenario) fieldLen(name, n string) error {
	b, err := s.fieldBytes(s.last, name)
	if err != nil {
		return err
	}
	want, _ := strconv.Atoi(n)
	if len(b) != want {
		return fmt.Errorf("%s.%s has %d bytes, want %d", s.last.name(), name, len(b), want)
	}
	return nil
}

func (s *Scenario) fieldContains(name string, contains bool, v string) error {
	got, err := s.responseValue(s.last, name)
	if err != nil {
		return err
	}
	list, ok := got.([]any)
	if got == absent {
		list, ok = nil, true
	}
	if !ok {
		return fmt.Errorf("%s.%s is not a list", s.last.name(), name)
	}
	f := model.Lookup(s.last.cmd.Response, name)
	want, err := s.parseValue(&model.Field{Name: name, Type: f.Items, Enum: f.Enum}, v)
	if err != nil {
		return err
	}
	found := false
	for _, it := range list {
		if equalValues(it, want) {
			found = true
		}
	}
	if found != contains {
		verb := "does not contain"
		if found {
			verb = "contains"
		}
		return fmt.Errorf("%s.%s %s %s", s.last.name(), name, verb, showValue(want))
	}
	return nil
}

func (s *Scenario) saveField(name, as string) error {
	v, err := s.responseValue(s.last, name)
	if err != nil {
		return err
	}
	if v == absent {
		return fmt.Errorf("%s.%s is absent", s.last.name(), name)
	}
	s.saved[as] = v
	return nil
}

// saveKey saves key_handle as @name and, when present, public_key as
// @name_pub and masked_key as @name_masked.
func (s *Scenario) saveKey(as string) error {
	if s.last == nil || s.last.status != rc.Success {
		return errors.New("the last request did not succeed")
	}
	if err := s.saveField("key_handle", as); err != nil {
		return err
	}
	for f, suffix := range map[string]string{"public_key": "_pub", "masked_key": "_masked"} {
		if v, err := s.responseValue(s.last, f); err == nil && v != absent {
			s.saved[as+suffix] = v
		}
	}
	return nil
}

func (s *Scenario) switchPartition(p string) error {
	i := int(p[0] - 'A')
	if i >= s.env.Driver.Partitions() {
		return fmt.Errorf("partition %s: the driver has %d partition endpoints (tag the scenario @two-partitions)", p, s.env.Driver.Partitions())
	}
	s.part = i
	return nil
}

func (s *Scenario) switchSession(name string) error {
	if s.sessions[sessionKey(s.part, name)] == nil {
		return fmt.Errorf("no session %q on this partition", name)
	}
	s.cur[s.part] = name
	return nil
}

func (s *Scenario) replay(ctx context.Context) error {
	if s.last == nil {
		return errors.New("no request to replay")
	}
	x := &exchange{cmd: s.last.cmd, header: s.last.header, frame: s.last.frame, session: s.last.session, request: s.last.request}
	return s.roundTrip(ctx, x)
}

func (s *Scenario) control(ctx context.Context, ev, arg string) error {
	if !s.hasTag("@needs-control") {
		return errors.New("a control step in a scenario not tagged @needs-control")
	}
	c := s.env.Control
	if c == nil {
		return errors.New("no control channel")
	}
	var err error
	switch ev {
	case "power-cycled":
		err = c.PowerCycle(ctx)
	case "tampered":
		err = c.Tamper(ctx)
	case "migrated":
		err = c.Migrate(ctx)
	case "reset":
		err = c.Reset(ctx)
	case "zeroized":
		err = c.ZeroizeAll(ctx)
	case "clock":
		var d time.Duration
		d, err = time.ParseDuration(arg)
		if err == nil {
			err = c.AdvanceClock(ctx, d)
		}
		if err == nil {
			s.clock += d
		}
	case "self-test":
		err = c.FailSelfTest(ctx, arg)
	case "hold-self-test":
		err = c.HoldSelfTest(ctx)
	}
	if err != nil {
		return fmt.Errorf("control %s: %w", ev, err)
	}
	if ev != "clock" && ev != "self-test" {
		s.dropConns()
	}
	return nil
}
