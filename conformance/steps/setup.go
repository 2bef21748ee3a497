package steps

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// must sends a command the scenario's set-up depends on and accepts only
// the given statuses.
func (s *Scenario) must(ctx context.Context, name string, table map[string]string, m sendMode, ok ...rc.Code) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	err = s.send(ctx, cmd, table, m)
	if err != nil && !errors.Is(err, errCredentialRefused) {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.checked = true
	if s.last.problem != nil {
		return fmt.Errorf("%s: %w", name, s.last.problem)
	}
	for _, c := range ok {
		if s.last.status == c {
			return nil
		}
	}
	return fmt.Errorf("set-up %s: status %s", name, statusName(s.last.status))
}

// provisioned makes sure the current partition has a credential with the
// suite's PIN: a partition already provisioned answers
// PartitionAlreadyProvisioned, which the suite takes as given.
func (s *Scenario) provisioned(ctx context.Context) error {
	return s.must(ctx, "EstablishCredential", nil, sendMode{}, rc.Success, rc.PartitionAlreadyProvisioned)
}

// unprovisioned zeroizes the current partition (officer role) unless it
// is unprovisioned already.
func (s *Scenario) unprovisioned(ctx context.Context) error {
	if !s.hasTag("@destructive") {
		return errors.New("an unprovisioned partition needs Zeroize: tag the scenario @destructive")
	}
	return s.must(ctx, "Zeroize", nil, sendMode{}, rc.Success, rc.PartitionNotProvisioned)
}

func (s *Scenario) openSession(ctx context.Context, name string) error {
	return s.must(ctx, "OpenSession", nil, sendMode{sessionName: name}, rc.Success)
}

func (s *Scenario) generate(ctx context.Context, kind, usage, as string) error {
	if err := s.must(ctx, "GenerateKey", map[string]string{"kind": kind, "usage": usage}, sendMode{}, rc.Success); err != nil {
		return err
	}
	return s.saveKey(as)
}

func (s *Scenario) fillSessions(ctx context.Context) error {
	l := s.env.Spec.Limit("max_sessions")
	if l == nil {
		return errors.New("the spec has no max_sessions limit")
	}
	open := 0
	for _, se := range s.sessions {
		if se.part == s.part {
			open++
		}
	}
	cur := s.cur[s.part]
	for i := open; i < int(l.Value); i++ {
		if err := s.openSession(ctx, fmt.Sprintf("limit%d", i)); err != nil {
			return fmt.Errorf("session %d of %d: %w", i+1, l.Value, err)
		}
	}
	s.cur[s.part] = cur
	return nil
}

// raw opens an unmultiplexed connection to the current partition.
func (s *Scenario) raw(ctx context.Context) (*rawConn, error) {
	rd, ok := s.env.Driver.(driver.RawDialer)
	if !ok {
		return nil, errors.New("the driver cannot open raw connections")
	}
	c, err := rd.DialRaw(ctx, s.part)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{c: c, rec: s.env.Recorder, name: s.name}, nil
}

func (s *Scenario) rawFrame(ctx context.Context, h string) error {
	p, err := hex.DecodeString(h)
	if err != nil {
		return err
	}
	return s.sendRaw(ctx, p)
}

// sendRaw sends one payload on a new raw connection and takes its response.
func (s *Scenario) sendRaw(ctx context.Context, p []byte) error {
	c, err := s.raw(ctx)
	if err != nil {
		return err
	}
	defer c.c.Close()
	c.rec.Record(transcript.Request, c.name, p)
	if err := c.c.WriteFrame(p); err != nil {
		return err
	}
	return s.rawResponse(c)
}

func (s *Scenario) lengthPrefix(ctx context.Context, n string) error {
	v, err := strconv.ParseUint(n, 10, 32)
	if err != nil {
		return err
	}
	c, err := s.raw(ctx)
	if err != nil {
		return err
	}
	defer c.c.Close()
	c.rec.Record(transcript.Request, c.name, []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	if err := c.c.WriteLengthPrefix(uint32(v)); err != nil {
		return err
	}
	return s.rawResponse(c)
}

func (s *Scenario) rawResponse(c *rawConn) error {
	out, err := c.c.ReadFrame()
	if err != nil {
		return fmt.Errorf("no response frame: %w", err)
	}
	c.rec.Record(transcript.Response, c.name, out)
	x := &exchange{}
	s.last, s.checked = x, false
	rh, env, err := wire.DecodeResponse(out)
	if err != nil {
		x.problem = fmt.Errorf("response does not decode: %w", err)
		x.status = rc.Code(^uint32(0))
		return nil
	}
	x.rh, x.status, x.header.Opcode = rh, rh.Status, rh.Opcode
	if err := s.validate("ResponseHeader", rh); err != nil {
		x.problem = err
	} else if env.Sealed != nil {
		x.problem = errors.New("sealed response to a raw frame")
	} else if rh.Status != rc.Success && string(env.Body) != string(wire.EmptyBody()) {
		x.problem = errors.New("error status with a non-empty body")
	}
	return nil
}

// cleanup deletes the persistent keys the scenario made and closes its
// sessions and connections, so a long run stays within max_keys and
// max_sessions. Failures are ignored: the device may have been reset.
func (s *Scenario) cleanup(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	del := s.env.Spec.Command("DeleteKey")
	closeCmd := s.env.Spec.Command("CloseSession")
	names := make([]string, 0, len(s.sessions))
	for k := range s.sessions {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		se := s.sessions[k]
		s.part = se.part
		s.cur[se.part] = k[len(strconv.Itoa(se.part))+1:]
		if del != nil {
			for _, h := range s.keys[se.part] {
				s.send(ctx, del, map[string]string{"key_handle": strconv.FormatUint(uint64(h), 10)}, sendMode{})
			}
			s.keys[se.part] = nil
		}
		if closeCmd != nil {
			s.send(ctx, closeCmd, nil, sendMode{})
		}
	}
	s.dropConns()
}
