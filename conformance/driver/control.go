package driver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/openihsm/openihsm/spec/wire"
)

// maxControlMessage bounds a control message.
const maxControlMessage = 4096

// RemoteControl speaks the control protocol of an endpoint named by
// --control (unix:///path or tcp://host:port; docs/vendor.md, "The control
// protocol"): each request is a frame of at most 4096 bytes holding a
// deterministic CBOR map {1: op, 2: self-test name, 4: clock step in
// nanoseconds, negative to move the clock back}, each answer a frame
// holding {1: ok, 2: error, 3: device state, 4: device time}. The
// operations are reset, power-cycle, tamper, zeroize-all, migrate,
// advance-clock, fail-self-test and hold-self-test.
type RemoteControl struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
}

var _ Control = (*RemoteControl)(nil)

// DialControl connects to a control endpoint.
func DialControl(ctx context.Context, url string) (*RemoteControl, error) {
	var network, addr string
	switch {
	case strings.HasPrefix(url, "unix://"):
		network, addr = "unix", strings.TrimPrefix(url, "unix://")
	case strings.HasPrefix(url, "tcp://"):
		network, addr = "tcp", strings.TrimPrefix(url, "tcp://")
	default:
		return nil, fmt.Errorf("control %q: scheme must be unix:// or tcp://", url)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return &RemoteControl{conn: c, r: bufio.NewReader(c)}, nil
}

// Close closes the connection.
func (c *RemoteControl) Close() error { return c.conn.Close() }

type controlRequest struct {
	Op    string `cbor:"1,keyasint"`
	Name  string `cbor:"2,keyasint,omitempty"`
	Delta int64  `cbor:"4,keyasint,omitempty"`
}

type controlResponse struct {
	OK          bool   `cbor:"1,keyasint"`
	Error       string `cbor:"2,keyasint,omitempty"`
	DeviceState uint32 `cbor:"3,keyasint"`
	Time        int64  `cbor:"4,keyasint"`
}

func (c *RemoteControl) do(ctx context.Context, req controlRequest) error {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		return err
	}
	b, err := enc.Marshal(req)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	c.conn.SetDeadline(dl)
	defer c.conn.SetDeadline(time.Time{})
	if err := wire.WriteFrame(c.conn, b); err != nil {
		return fmt.Errorf("control %s: %w", req.Op, err)
	}
	msg, err := wire.ReadFrame(c.r, maxControlMessage)
	if err != nil {
		return fmt.Errorf("control %s: %w", req.Op, err)
	}
	var resp controlResponse
	if err := cbor.Unmarshal(msg, &resp); err != nil {
		return fmt.Errorf("control %s: malformed answer: %w", req.Op, err)
	}
	if !resp.OK {
		return fmt.Errorf("control %s: %s", req.Op, resp.Error)
	}
	return nil
}

// Reset implements Control.
func (c *RemoteControl) Reset(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "reset"})
}

// PowerCycle implements Control.
func (c *RemoteControl) PowerCycle(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "power-cycle"})
}

// Tamper implements Control.
func (c *RemoteControl) Tamper(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "tamper"})
}

// ZeroizeAll implements Control.
func (c *RemoteControl) ZeroizeAll(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "zeroize-all"})
}

// Migrate implements Control.
func (c *RemoteControl) Migrate(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "migrate"})
}

// AdvanceClock implements Control.
func (c *RemoteControl) AdvanceClock(ctx context.Context, d time.Duration) error {
	return c.do(ctx, controlRequest{Op: "advance-clock", Delta: int64(d)})
}

// FailSelfTest implements Control.
func (c *RemoteControl) FailSelfTest(ctx context.Context, name string) error {
	return c.do(ctx, controlRequest{Op: "fail-self-test", Name: name})
}

// HoldSelfTest implements Control.
func (c *RemoteControl) HoldSelfTest(ctx context.Context) error {
	return c.do(ctx, controlRequest{Op: "hold-self-test"})
}
