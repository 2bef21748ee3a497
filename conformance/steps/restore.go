package steps

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/spec/rc"
)

// restore puts the device back after a scenario failed midway, so one
// failure does not fail every later scenario. After a scenario tagged
// @needs-control or @destructive, with a control channel: the clock steps
// the scenario made are undone; a tampered or zeroized device is reset
// (factory state; later scenarios provision again in their set-up), any
// other device is power-cycled (sessions are volatile, an Error state
// ends); and a partition left locked out waits out the longest backoff on
// the device clock and is unlocked with the suite PIN, the clock then set
// back. After any scenario that sent ChangePin: a partition whose PIN is
// no longer the suite's gets it back from the PIN the scenario set.
func (s *Scenario) restore(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	if c := s.env.Control; c != nil && (s.hasTag("@needs-control") || s.hasTag("@destructive")) {
		errs = append(errs, s.restoreDevice(ctx, c))
	}
	for p, pins := range s.pins {
		if err := s.env.restorePIN(ctx, p, pins); err != nil {
			errs = append(errs, fmt.Errorf("partition %d: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Scenario) restoreDevice(ctx context.Context, c driver.Control) error {
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

// restorePIN gives partition p the suite PIN again if a scenario left one
// of pins (the new PINs it sent in ChangePin) in its place.
func (e *Env) restorePIN(ctx context.Context, p int, pins [][]byte) error {
	s := newScenario(e, "restore", nil)
	defer s.cleanup(ctx)
	s.part = p
	err := s.sendCredential(ctx, "OpenSession", credOpts{})
	if err != nil || s.last.status != rc.PinIncorrect {
		return err // the suite PIN works, or the partition has no PIN
	}
	for _, pin := range pins {
		if slices.Equal(pin, e.PIN) {
			continue
		}
		if err := s.sendCredential(ctx, "OpenSession", credOpts{pin: pin}); err != nil {
			return err
		}
		if s.last.status != rc.Success {
			continue
		}
		table := map[string]string{"current_pin": "hex:" + hex.EncodeToString(pin), "new_pin": "hex:" + hex.EncodeToString(e.PIN)}
		return s.must(ctx, "ChangePin", table, sendMode{}, rc.Success)
	}
	return errors.New("the suite PIN no longer opens a session and no PIN the scenario set does")
}
