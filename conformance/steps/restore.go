package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openihsm/openihsm/spec/rc"
)

// restore puts the device back after a scenario tagged @needs-control or
// @destructive failed midway, so one failure does not fail every later
// scenario: the clock steps the scenario made are undone; a tampered or
// zeroized device is reset (factory state; later scenarios provision
// again in their set-up), any other device is power-cycled (sessions are
// volatile, an Error state ends); and a partition left locked out waits
// out the longest backoff on the device clock and is unlocked with the
// suite PIN, the clock then set back. Without a control channel nothing
// can be restored.
func (s *Scenario) restore(ctx context.Context) error {
	c := s.env.Control
	if c == nil || !(s.hasTag("@needs-control") || s.hasTag("@destructive")) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	if s.clock != 0 {
		if err := c.AdvanceClock(ctx, -s.clock); err != nil {
			errs = append(errs, fmt.Errorf("set the clock back by %s: %w", s.clock, err))
		}
		s.clock = 0
	}
	s.dropConns()
	info, err := s.env.info(ctx, 0)
	switch {
	case err == nil && (info["device_state"] == "Tampered" || info["device_state"] == "Zeroized"):
		if err := c.Reset(ctx); err != nil {
			errs = append(errs, fmt.Errorf("reset the %s device: %w", info["device_state"], err))
		}
	default:
		if err := c.PowerCycle(ctx); err != nil {
			errs = append(errs, fmt.Errorf("power-cycle: %w", err))
		}
	}
	for p := range s.env.Driver.Partitions() {
		info, err := s.env.info(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if info["partition_state"] == "LockedOut" {
			if err := s.env.unlock(ctx, p); err != nil {
				errs = append(errs, fmt.Errorf("partition %d is locked out: %w", p, err))
			}
		}
	}
	return errors.Join(errs...)
}

// info returns the JSON form of GetDeviceInfo on partition p.
func (e *Env) info(ctx context.Context, p int) (map[string]any, error) {
	s := newScenario(e, "restore", nil)
	defer s.dropConns()
	s.part = p
	if err := s.must(ctx, "GetDeviceInfo", nil, sendMode{}, rc.Success); err != nil {
		return nil, fmt.Errorf("partition %d: %w", p, err)
	}
	return s.last.fields, nil
}

// unlock ends a lockout of partition p: the device clock moves past the
// longest backoff (spec: backoff_max_seconds), a session opened with the
// suite PIN resets the failure counter (IHSM-PRV-010), and the clock is
// set back.
func (e *Env) unlock(ctx context.Context, p int) error {
	l := e.Spec.Limit("backoff_max_seconds")
	if l == nil {
		return errors.New("the spec has no backoff_max_seconds limit")
	}
	wait := time.Duration(l.Value+1) * time.Second
	if err := e.Control.AdvanceClock(ctx, wait); err != nil {
		return err
	}
	s := newScenario(e, "restore", nil)
	s.part = p
	err := s.openSession(ctx, "")
	s.cleanup(ctx)
	if cerr := e.Control.AdvanceClock(ctx, -wait); err == nil {
		err = cerr
	}
	return err
}
