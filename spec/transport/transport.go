package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
)

// Transport carries one request frame to a device endpoint and returns the
// response frame. Frames are whole payloads, without the 4-byte length
// prefix of the wire framing. RoundTrip is safe for concurrent use; a
// transport may pipeline concurrent requests on one connection, matching
// responses to requests by the request_id of their headers.
//
// RoundTrip does not keep the request frame after it returns, so the caller
// may reuse its buffer; the response frame belongs to the caller.
type Transport interface {
	RoundTrip(ctx context.Context, frame []byte) ([]byte, error)
	Close() error
}

// Errors a transport reports itself; statuses from the device travel inside
// the response frame and are not transport errors.
var (
	// ErrClosed is returned by RoundTrip after Close or after the
	// connection failed.
	ErrClosed = errors.New("transport: closed")
	// ErrDuplicateRequestID is returned when a request reuses the
	// request_id of a request still in flight on the same connection, which
	// would make the responses ambiguous (the device echoes request_id so a
	// client can pipeline).
	ErrDuplicateRequestID = errors.New("transport: request_id already in flight")
	// ErrUnexpectedResponse is returned to every waiter when the device
	// sends a response that cannot be matched to a request in flight; the
	// connection is then closed, since the stream can no longer be trusted.
	ErrUnexpectedResponse = errors.New("transport: response matches no request in flight")
)

// Dial connects to a device endpoint named by target:
//
//	unix:///abs/path.sock or unix://./relative.sock  a Unix stream socket
//	tcp://host:port                                  TCP
//	exec:./adapter arg1 arg2                         a child process speaking frames on stdin/stdout
//
// The exec form lets a vendor plug a device that is not reachable by a
// socket (a PCIe driver, a serial line) behind a small adapter program.
func Dial(ctx context.Context, target string) (Transport, error) {
	scheme, rest, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	switch scheme {
	case "unix":
		return DialUnix(ctx, rest)
	case "tcp":
		return DialTCP(ctx, rest)
	default:
		return DialExec(ctx, strings.Fields(rest))
	}
}

func splitTarget(target string) (scheme, rest string, err error) {
	switch {
	case strings.HasPrefix(target, "unix://"):
		rest = strings.TrimPrefix(target, "unix://")
		if rest == "" {
			return "", "", fmt.Errorf("transport: target %q names no socket path", target)
		}
		return "unix", rest, nil
	case strings.HasPrefix(target, "tcp://"):
		rest = strings.TrimPrefix(target, "tcp://")
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return "", "", fmt.Errorf("transport: target %q: %v", target, err)
		}
		return "tcp", rest, nil
	case strings.HasPrefix(target, "exec:"):
		rest = strings.TrimPrefix(target, "exec:")
		if len(strings.Fields(rest)) == 0 {
			return "", "", fmt.Errorf("transport: target %q names no program", target)
		}
		return "exec", rest, nil
	}
	return "", "", fmt.Errorf("transport: target %q: scheme must be unix://, tcp:// or exec:", target)
}

// UnixTransport is a pipelined connection to a Unix stream socket.
type UnixTransport struct{ *mux }

// TCPTransport is a pipelined TCP connection.
type TCPTransport struct{ *mux }

// ExecTransport is a pipelined connection to a child process that reads
// request frames on its stdin and writes response frames on its stdout.
type ExecTransport struct {
	*mux
	cmd *exec.Cmd
}

var (
	_ Transport = (*UnixTransport)(nil)
	_ Transport = (*TCPTransport)(nil)
	_ Transport = (*ExecTransport)(nil)
)

// DialUnix connects to the Unix socket at path.
func DialUnix(ctx context.Context, path string) (*UnixTransport, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return &UnixTransport{newMux(c, c, c.Close)}, nil
}

// DialTCP connects to addr (host:port). Go sets TCP_NODELAY by default,
// which a request/response protocol of small frames needs.
func DialTCP(ctx context.Context, addr string) (*TCPTransport, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return &TCPTransport{newMux(c, c, c.Close)}, nil
}

// DialExec starts argv as a child process and speaks frames over its stdin
// and stdout. The child's stderr goes to this process's stderr so that an
// adapter can report its own failures. Close closes the child's stdin and
// waits for it to exit.
func DialExec(ctx context.Context, argv []string) (*ExecTransport, error) {
	cmd, stdin, stdout, err := startChild(ctx, argv)
	if err != nil {
		return nil, err
	}
	t := &ExecTransport{cmd: cmd}
	t.mux = newMux(stdout, stdin, func() error {
		werr := stdin.Close()
		rerr := stdout.Close()
		return errors.Join(waitChild(cmd), werr, rerr)
	})
	return t, nil
}

// startChild starts argv with pipes made by os.Pipe, so both ends are
// *os.File and support deadlines (RawConn.SetDeadline). The context bounds
// only the start, not the life of the child.
func startChild(ctx context.Context, argv []string) (*exec.Cmd, *os.File, *os.File, error) {
	if len(argv) == 0 {
		return nil, nil, nil, errors.New("transport: exec target names no program")
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("transport: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, nil, fmt.Errorf("transport: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = inR
	cmd.Stdout = outW
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, nil, nil, fmt.Errorf("transport: start adapter: %w", err)
	}
	// The child holds its own copies of these ends.
	inR.Close()
	outW.Close()
	return cmd, inW, outR, nil
}

// Bridge joins an exec adapter's standard input and output to a device
// endpoint (unix:// or tcp://): it copies bytes unchanged in both
// directions, so the device sees exactly the frames the suite writes,
// malformed ones included, and the suite exactly what the device
// answers. When in ends, the device connection is half-closed and Bridge
// returns once the device closes it; when the device closes first,
// Bridge returns at once. `ihsm bridge` is this function; a vendor whose
// device sits behind a driver writes the same loop around its own I/O.
func Bridge(ctx context.Context, target string, in io.Reader, out io.Writer) error {
	scheme, rest, err := splitTarget(target)
	if err != nil {
		return err
	}
	if scheme == "exec" {
		return fmt.Errorf("transport: bridge %q: only unix:// and tcp:// endpoints can be bridged", target)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, scheme, rest)
	if err != nil {
		return fmt.Errorf("transport: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	go func() {
		io.Copy(c, in)
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}()
	if _, err := io.Copy(out, c); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("transport: bridge: %w", err)
	}
	return ctx.Err()
}
