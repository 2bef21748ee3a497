package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// RawConn is an unmultiplexed connection for testing a device's handling of
// malformed input: it writes whatever bytes it is given, including frames
// that do not decode and length prefixes that lie, and reads back whatever
// the device sends. The conformance suite uses it; applications use
// Transport.
type RawConn struct {
	r     *bufio.Reader
	w     io.Writer
	cmd   *exec.Cmd
	in    *os.File // exec: the child's stdin, for CloseWrite
	dl    func(time.Time) error
	close func() error
}

// DialRaw connects to target like Dial but returns a RawConn.
func DialRaw(ctx context.Context, target string) (*RawConn, error) {
	scheme, rest, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	if scheme == "exec" {
		cmd, stdin, stdout, err := startChild(ctx, strings.Fields(rest))
		if err != nil {
			return nil, err
		}
		return &RawConn{
			r:   bufio.NewReader(stdout),
			w:   stdin,
			cmd: cmd,
			in:  stdin,
			dl: func(t time.Time) error {
				return errors.Join(stdin.SetDeadline(t), stdout.SetDeadline(t))
			},
			close: func() error {
				stdin.Close()
				stdout.Close()
				return waitChild(cmd)
			},
		}, nil
	}
	network := "tcp"
	if scheme == "unix" {
		network = "unix"
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, rest)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return NewRawConn(c), nil
}

// NewRawConn wraps an established connection, such as one end of a
// net.Pipe given to an in-process server.
func NewRawConn(c net.Conn) *RawConn {
	return &RawConn{r: bufio.NewReader(c), w: c, dl: c.SetDeadline, close: c.Close}
}

// WriteFrame writes payload with a correct length prefix, whatever the
// payload holds.
func (c *RawConn) WriteFrame(payload []byte) error {
	buf := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := c.w.Write(buf)
	return err
}

// WriteLengthPrefix writes only a 4-byte big-endian length prefix claiming
// n bytes of payload. A device must reject a claim above max_frame with
// FrameTooLarge without waiting for the payload.
func (c *RawConn) WriteLengthPrefix(n uint32) error {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	_, err := c.w.Write(b[:])
	return err
}

// Write writes p unframed: a truncated frame, garbage, or the tail of a
// frame whose prefix was sent with WriteLengthPrefix.
func (c *RawConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// ReadFrame reads one length-prefixed frame and returns its payload. It
// refuses a length prefix above maxPayload without reading further.
func (c *RawConn) ReadFrame() ([]byte, error) { return readFrame(c.r) }

// SetDeadline bounds every later read and write, so a test can assert that
// a device closes the connection, or answers, within a time.
func (c *RawConn) SetDeadline(t time.Time) error { return c.dl(t) }

// CloseWrite half-closes the connection: the device sees end of input (for
// example in the middle of a frame) while its answer can still be read.
func (c *RawConn) CloseWrite() error {
	if c.in != nil {
		return c.in.Close()
	}
	if cw, ok := c.w.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("transport: connection cannot be half-closed")
}

// Close closes the connection (for exec, closes the pipes and waits for
// the child).
func (c *RawConn) Close() error { return c.close() }

// waitChild waits for an adapter to exit after its stdin closed, and kills
// it if it does not within a grace period, so Close never hangs on a stuck
// adapter.
func waitChild(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("transport: adapter: %w", err)
		}
		return nil
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		return errors.New("transport: adapter did not exit after its input closed; killed")
	}
}
