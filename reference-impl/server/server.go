package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openihsm/openihsm/reference-impl/control"
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Defaults of the limits.
const (
	DefaultMaxConnections = 64
	DefaultMaxInFlight    = 64
)

// Config configures a server.
type Config struct {
	// Device is the device served.
	Device *device.Device
	// SocketDir, if set, is where the Unix sockets are made:
	// partition-N.sock for partition N and control.sock for the control
	// channel, each mode 0600 (the directory is created 0700).
	SocketDir string
	// ControlPath overrides the control socket's path (default
	// SocketDir/control.sock). With neither set there is no control socket.
	ControlPath string
	// TCPAddr, if set, also serves every partition on TCP: partition N on
	// the port of TCPAddr plus N, or on a free port each when the port is 0.
	// The host must be a loopback address unless AllowNonLoopback is set,
	// since the protocol's only protection on the network is the session
	// channel, and commands outside sessions travel in the clear.
	TCPAddr          string
	AllowNonLoopback bool
	// MaxConnections bounds the open connections per endpoint (default 64);
	// a connection beyond it is closed at once.
	MaxConnections int
	// MaxInFlight bounds the requests in progress per connection (default
	// 64); beyond it the server stops reading from the connection.
	MaxInFlight int
	// MaxFrame is the largest request payload accepted (default and
	// maximum: max_frame).
	MaxFrame int
}

// Endpoint is one address the server listens on.
type Endpoint struct {
	// Partition is the partition served, or -1 for the control socket.
	Partition int
	// Network is "unix" or "tcp"; Address the path or host:port.
	Network, Address string
}

// Target returns the endpoint in the form spec/transport.Dial accepts:
// unix:///path or tcp://host:port.
func (e Endpoint) Target() string {
	if e.Network == "unix" {
		return "unix://" + e.Address
	}
	return "tcp://" + e.Address
}

// Server serves a device's partitions over Unix sockets and TCP, and its
// control channel over a Unix socket.
type Server struct {
	cfg Config

	listeners []*listener
	control   net.Listener
	ctlPath   string
}

type listener struct {
	net.Listener
	ep    device.Endpoint
	info  Endpoint
	conns atomic.Int32
}

// Listen binds every socket of cfg; nothing is served until Serve.
func Listen(cfg Config) (*Server, error) {
	if cfg.Device == nil {
		return nil, errors.New("server: no device")
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxFrame <= 0 || cfg.MaxFrame > wire.MaxFrame {
		cfg.MaxFrame = wire.MaxFrame
	}
	if cfg.SocketDir == "" && cfg.TCPAddr == "" {
		return nil, errors.New("server: neither a socket directory nor a TCP address to serve on")
	}
	s := &Server{cfg: cfg}
	if err := s.listen(); err != nil {
		s.closeListeners()
		return nil, err
	}
	return s, nil
}

func (s *Server) listen() error {
	n := s.cfg.Device.Partitions()
	if dir := s.cfg.SocketDir; dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		for i := range n {
			l, err := listenUnix(filepath.Join(dir, fmt.Sprintf("partition-%d.sock", i)))
			if err != nil {
				return err
			}
			if err := s.add(l, i); err != nil {
				return err
			}
		}
	}
	if s.cfg.TCPAddr != "" {
		host, port, err := tcpBase(s.cfg.TCPAddr, s.cfg.AllowNonLoopback)
		if err != nil {
			return err
		}
		for i := range n {
			p := 0
			if port != 0 {
				p = port + i
			}
			l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err != nil {
				return fmt.Errorf("server: %w", err)
			}
			if err := s.add(l, i); err != nil {
				return err
			}
		}
	}
	s.ctlPath = s.cfg.ControlPath
	if s.ctlPath == "" && s.cfg.SocketDir != "" {
		s.ctlPath = filepath.Join(s.cfg.SocketDir, "control.sock")
	}
	if s.ctlPath != "" {
		l, err := listenUnix(s.ctlPath)
		if err != nil {
			return err
		}
		s.control = l
	}
	return nil
}

func (s *Server) add(l net.Listener, i int) error {
	ep, err := s.cfg.Device.Partition(i)
	if err != nil {
		l.Close()
		return err
	}
	s.listeners = append(s.listeners, &listener{Listener: l, ep: ep,
		info: Endpoint{Partition: i, Network: l.Addr().Network(), Address: l.Addr().String()}})
	return nil
}

// tcpBase checks the TCP address: an IP literal or "localhost", loopback
// unless allowed otherwise.
func tcpBase(addr string, allowNonLoopback bool) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("server: TCP address: %w", err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("server: TCP address %q: bad port", addr)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", 0, fmt.Errorf("server: TCP address %q: the host must be an IP address", addr)
	}
	if !ip.IsLoopback() && !allowNonLoopback {
		return "", 0, fmt.Errorf("server: TCP address %q is not a loopback address; serving a device beyond this host needs the explicit non-loopback option", addr)
	}
	return host, port, nil
}

// listenUnix binds a Unix socket at path, mode 0600. A stale socket file
// left by a crashed server is replaced; a live one, or any other file, is
// an error.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("server: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("server: %s is in use by another server", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	// The directory is 0700, so no one else can reach the socket between
	// bind and chmod.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	return l, nil
}

// Endpoints returns the partition endpoints, in partition order for each
// network.
func (s *Server) Endpoints() []Endpoint {
	out := make([]Endpoint, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.info
	}
	return out
}

// ControlPath returns the control socket's path ("" if none).
func (s *Server) ControlPath() string { return s.ctlPath }

// Serve accepts connections until ctx ends, then shuts down gracefully: it
// stops accepting, stops reading requests, lets the requests in progress
// finish and answer, and closes every connection. It returns when all
// connections are closed.
func (s *Server) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, l := range s.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.acceptLoop(ctx, l.Listener, func(c net.Conn) {
				if l.conns.Add(1) > int32(s.cfg.MaxConnections) {
					// Refused: one Busy answer (request_id 0), then hang up.
					l.conns.Add(-1)
					c.SetWriteDeadline(time.Now().Add(time.Second))
					c.Write(wire.AppendFrame(nil, refusal(rc.Busy)))
					c.Close()
					return
				}
				defer l.conns.Add(-1)
				newConn(l.ep, c, s.cfg.MaxFrame, s.cfg.MaxInFlight).serve(ctx)
			}, &wg)
		}()
	}
	if s.control != nil {
		h := &controlHandler{d: s.cfg.Device}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.acceptLoop(ctx, s.control, func(c net.Conn) { control.Serve(ctx, c, h) }, &wg)
		}()
	}
	<-ctx.Done()
	s.closeListeners()
	wg.Wait()
	return nil
}

// acceptLoop accepts connections on l and serves each in its own
// goroutine, counted in wg, until l is closed.
func (s *Server) acceptLoop(ctx context.Context, l net.Listener, serve func(net.Conn), wg *sync.WaitGroup) {
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (out of file descriptors): back off
			// rather than spin.
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(c)
		}()
	}
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	if s.control != nil {
		s.control.Close()
	}
}
