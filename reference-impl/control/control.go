package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/wire"
)

// Op names a control operation.
type Op string

// The control operations.
const (
	// OpStatus changes nothing and reports the device state and time.
	OpStatus Op = "status"
	// OpReset returns the device to its factory state, keeping its
	// identity: self-tests run again and every partition is zeroized to
	// unprovisioned.
	OpReset Op = "reset"
	// OpPowerCycle drops every session and volatile key, keeps the state
	// directory and runs the power-on self-tests again.
	OpPowerCycle Op = "power-cycle"
	// OpTamper signals a tamper event: every key and secret is zeroized and
	// the device enters the Tampered state.
	OpTamper Op = "tamper"
	// OpMigrate simulates a live migration: every open session needs
	// renegotiation (ReopenSession).
	OpMigrate Op = "migrate"
	// OpZeroizeAll zeroizes every partition and the identity and enters the
	// Zeroized state.
	OpZeroizeAll Op = "zeroize-all"
	// OpSetClock sets the device's time to Request.Time.
	OpSetClock Op = "set-clock"
	// OpAdvanceClock moves the device's time by Request.Delta.
	OpAdvanceClock Op = "advance-clock"
	// OpFailSelfTest power-cycles the device with the self-test
	// Request.Name forced to fail, so it comes up in the Error state.
	OpFailSelfTest Op = "fail-self-test"
	// OpHoldSelfTest power-cycles the device and holds it in the SelfTest
	// state, its power-on self-tests unfinished, until the next
	// power-cycle, reset or fail-self-test.
	OpHoldSelfTest Op = "hold-self-test"
)

// Ops returns every operation.
func Ops() []Op {
	return []Op{OpStatus, OpReset, OpPowerCycle, OpTamper, OpMigrate, OpZeroizeAll, OpSetClock, OpAdvanceClock, OpFailSelfTest, OpHoldSelfTest}
}

// Request is a control request: a CBOR map with small integer keys.
type Request struct {
	// Op is the operation (key 1).
	Op Op `cbor:"1,keyasint"`
	// Name is the self-test to fail (OpFailSelfTest, key 2).
	Name string `cbor:"2,keyasint,omitempty"`
	// Time is the new device time in Unix nanoseconds (OpSetClock, key 3).
	Time int64 `cbor:"3,keyasint,omitempty"`
	// Delta is the clock step in nanoseconds (OpAdvanceClock, key 4).
	Delta int64 `cbor:"4,keyasint,omitempty"`
}

// Response is the answer to a control request.
type Response struct {
	// OK tells whether the operation was carried out (key 1).
	OK bool `cbor:"1,keyasint"`
	// Error says why not (key 2).
	Error string `cbor:"2,keyasint,omitempty"`
	// DeviceState is the device state after the operation, a value of the
	// spec's DeviceState enum (key 3).
	DeviceState uint32 `cbor:"3,keyasint"`
	// Time is the device time after the operation, Unix nanoseconds (key 4).
	Time int64 `cbor:"4,keyasint"`
}

// MaxMessage bounds a control message.
const MaxMessage = 4096

// Handler carries out control requests.
type Handler interface {
	Control(ctx context.Context, req Request) Response
}

var (
	encMode = func() cbor.EncMode {
		m, _ := cbor.CoreDetEncOptions().EncMode()
		return m
	}()
	decMode = func() cbor.DecMode {
		m, _ := cbor.DecOptions{
			DupMapKey:         cbor.DupMapKeyEnforcedAPF,
			IndefLength:       cbor.IndefLengthForbidden,
			TagsMd:            cbor.TagsForbidden,
			ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
			MaxNestedLevels:   4,
		}.DecMode()
		return m
	}()
)

// Marshal encodes a control message (deterministic CBOR).
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes a control message strictly: unknown keys, duplicate
// keys, tags and indefinite lengths are errors.
func Unmarshal(b []byte, v any) error { return decMode.Unmarshal(b, v) }

// Serve answers control requests on conn until the peer closes it or ctx
// ends. Each request is a frame (4-byte big-endian length, at most
// MaxMessage bytes) holding a Request; each answer a frame holding a
// Response. Requests are carried out one at a time, in order.
func Serve(ctx context.Context, conn net.Conn, h Handler) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReader(conn)
	for {
		msg, err := wire.ReadFrame(r, MaxMessage)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control: %w", err)
		}
		var req Request
		var resp Response
		if err := Unmarshal(msg, &req); err != nil {
			resp = Response{Error: fmt.Sprintf("malformed control request: %v", err)}
		} else {
			resp = h.Control(ctx, req)
		}
		out, err := Marshal(resp)
		if err != nil {
			return fmt.Errorf("control: %w", err)
		}
		if err := wire.WriteFrame(conn, out); err != nil {
			return fmt.Errorf("control: %w", err)
		}
	}
}

// Client is a connection to a device's control socket. It is safe for
// concurrent use; requests are carried out one at a time.
type Client struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to the control socket at path.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return &Client{conn: c, r: bufio.NewReader(c)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Do sends req and returns the device's response. A response that is not
// OK is returned together with an error carrying its message.
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	b, err := Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("control: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
		defer c.conn.SetDeadline(time.Time{})
	}
	if err := wire.WriteFrame(c.conn, b); err != nil {
		return Response{}, fmt.Errorf("control %s: %w", req.Op, err)
	}
	msg, err := wire.ReadFrame(c.r, MaxMessage)
	if err != nil {
		return Response{}, fmt.Errorf("control %s: %w", req.Op, err)
	}
	var resp Response
	if err := Unmarshal(msg, &resp); err != nil {
		return Response{}, fmt.Errorf("control %s: malformed response: %w", req.Op, err)
	}
	if !resp.OK {
		return resp, fmt.Errorf("control %s: %s", req.Op, resp.Error)
	}
	return resp, nil
}

// Run is Do for an operation without arguments.
func (c *Client) Run(ctx context.Context, op Op) (Response, error) {
	return c.Do(ctx, Request{Op: op})
}
