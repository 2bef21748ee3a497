package driver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openihsm/openihsm/spec/transport"
)

// Driver opens connections to the partition endpoints of one device. Each
// partition is its own endpoint (spec: wire.yaml; a partition is never named
// inside a request), so isolation scenarios need at least two.
type Driver interface {
	// Partitions is the number of partition endpoints the suite may use.
	Partitions() int
	// Dial opens a new connection to partition i (0-based).
	Dial(ctx context.Context, partition int) (transport.Transport, error)
}

// RawDialer is implemented by drivers that can open an unmultiplexed
// connection, used to send frames a multiplexing transport refuses to
// carry (a length prefix above max_frame, a payload that is not CBOR).
type RawDialer interface {
	DialRaw(ctx context.Context, partition int) (*transport.RawConn, error)
}

// Control is the optional control channel of a device: the events a
// conformance run must be able to cause but the wire protocol deliberately
// offers no command for.
type Control interface {
	// Reset returns the device to its factory state: every partition
	// unprovisioned, no keys, operational, also from Tampered or
	// Zeroized.
	Reset(ctx context.Context) error
	// PowerCycle removes and restores power: sessions and session keys are
	// lost, persistent state survives.
	PowerCycle(ctx context.Context) error
	// Tamper signals a tamper event.
	Tamper(ctx context.Context) error
	// ZeroizeAll zeroizes every partition and the device identity, the
	// way a decommissioning operator would: the device enters Zeroized.
	ZeroizeAll(ctx context.Context) error
	// Migrate moves the device's live state to another host: open sessions
	// then need ReopenSession.
	Migrate(ctx context.Context) error
	// AdvanceClock moves the clock the device uses for PIN backoff and
	// certificates by d: forward, or back when d is negative (scenarios
	// set back every step they make).
	AdvanceClock(ctx context.Context, d time.Duration) error
	// FailSelfTest power-cycles the device with the named self-test
	// forced to fail at that power-on: a known-answer test fails at once,
	// a pairwise consistency test when the device next makes a key pair
	// of its algorithm.
	FailSelfTest(ctx context.Context, name string) error
	// HoldSelfTest power-cycles the device and holds it in the SelfTest
	// state, its power-on self-tests unfinished, until the next
	// PowerCycle, Reset or FailSelfTest.
	HoldSelfTest(ctx context.Context) error
}

// ControlOf returns the control channel of d, if it has one.
func ControlOf(d Driver) (Control, bool) {
	c, ok := d.(Control)
	return c, ok
}

// URLs is a Driver over endpoint URLs understood by transport.Dial:
// unix:///path, tcp://host:port or exec:program args.
type URLs struct {
	Targets []string
}

var (
	_ Driver    = (*URLs)(nil)
	_ RawDialer = (*URLs)(nil)
)

// ParseTargets splits a --target value: one endpoint URL per partition,
// separated by commas (exec: targets may not contain commas).
func ParseTargets(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "unix://") && !strings.HasPrefix(t, "tcp://") && !strings.HasPrefix(t, "exec:") {
			return nil, fmt.Errorf("target %q: scheme must be unix://, tcp:// or exec:", t)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("no target endpoint given")
	}
	return out, nil
}

// Partitions returns the number of endpoint URLs.
func (u *URLs) Partitions() int { return len(u.Targets) }

// Dial connects to partition i.
func (u *URLs) Dial(ctx context.Context, i int) (transport.Transport, error) {
	if i < 0 || i >= len(u.Targets) {
		return nil, fmt.Errorf("driver: partition %d: only %d endpoints given", i, len(u.Targets))
	}
	return transport.Dial(ctx, u.Targets[i])
}

// DialRaw opens an unmultiplexed connection to partition i.
func (u *URLs) DialRaw(ctx context.Context, i int) (*transport.RawConn, error) {
	if i < 0 || i >= len(u.Targets) {
		return nil, fmt.Errorf("driver: partition %d: only %d endpoints given", i, len(u.Targets))
	}
	return transport.DialRaw(ctx, u.Targets[i])
}

// WithControl pairs a driver with a control channel.
func WithControl(d Driver, c Control) Driver {
	if c == nil {
		return d
	}
	return controlled{d, c}
}

type controlled struct {
	Driver
	Control
}

// DialRaw forwards to the wrapped driver when it can open raw connections.
func (c controlled) DialRaw(ctx context.Context, i int) (*transport.RawConn, error) {
	r, ok := c.Driver.(RawDialer)
	if !ok {
		return nil, errors.New("driver: raw connections not supported by this driver")
	}
	return r.DialRaw(ctx, i)
}
