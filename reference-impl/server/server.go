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
	"syscall"
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
	DefaultIdleGrace      = time.Second
)

// Config configures a server.
type Config struct {
	// Device is the device served.
	Device *device.Device
	// SocketDir, if set, is where the Unix sockets are made:
	// partition-N.sock for partition N and, with Control, control.sock,
	// each mode 0600. The directory is created 0700; an existing one must
	// be a directory of this user's with no group or other permissions,
	// since whoever can write it could put their own socket in place.
	SocketDir string
	// Control serves the control channel (package control) on a Unix
	// socket: ControlPath, or SocketDir/control.sock. It is off by default
	// and is for tests and conformance runs only: whoever can connect to it
	// can set the device clock, which defeats PIN lockout, and can reset,
	// tamper with and zeroize the device.
	Control bool
	// ControlPath overrides the control socket's path; setting it implies
	// Control.
	ControlPath string
	// TCPAddr, if set, also serves every partition on TCP: partition N on
	// the port of TCPAddr plus N, or on a free port each when the port is 0.
	// The host must be a loopback address unless AllowNonLoopback is set,
	// since the protocol's only protection on the network is the session
	// channel, and commands outside sessions travel in the clear.
	TCPAddr          string
	AllowNonLoopback bool
	// MaxConnections bounds the open connections per endpoint (default 64).
	// A connection beyond it takes the place of the connection that has
	// been idle longest (no request in progress and nothing received for
	// at least IdleGrace), which is closed; when none is idle, the new
	// connection gets one Busy answer (request_id 0) and is closed. So
	// idle connections can never lock clients out.
	MaxConnections int
	// IdleGrace is how long a connection must have been idle before a new
	// connection may take its place at the limit (default 1 s).
	IdleGrace time.Duration
	// IdleTimeout, if positive, closes any connection idle (no request in
	// progress, nothing received) for that long. The default, 0, keeps
	// idle connections open until the limit needs their place.
	IdleTimeout time.Duration
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
	ep   device.Endpoint
	info Endpoint

	mu    sync.Mutex
	conns map[*tracked]struct{} // open connections
}

// tracked is a served connection and what the limits need to know of it.
type tracked struct {
	net.Conn
	cn *conn
	// last is when the client last sent bytes (or connected), in Unix ns.
	last atomic.Int64
}

func (t *tracked) Read(b []byte) (int, error) {
	n, err := t.Conn.Read(b)
	if n > 0 {
		t.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// idleFor reports how long the connection has been idle at now: zero while
// a request is in progress (queued requests hold their place in cn.sem).
func (t *tracked) idleFor(now time.Time) time.Duration {
	if t.cn == nil || len(t.cn.sem) > 0 {
		return 0
	}
	return now.Sub(time.Unix(0, t.last.Load()))
}

// admit registers a new connection. At the limit it closes the connection
// idle longest, if one has been idle for at least grace, and otherwise
// refuses the new one (false).
func (l *listener) admit(t *tracked, limit int, grace time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= limit {
		now := time.Now()
		var victim *tracked
		longest := grace
		for c := range l.conns {
			if d := c.idleFor(now); d >= longest {
				victim, longest = c, d
			}
		}
		if victim == nil {
			return false
		}
		delete(l.conns, victim)
		victim.Conn.Close()
	}
	l.conns[t] = struct{}{}
	return true
}

func (l *listener) leave(t *tracked) {
	l.mu.Lock()
	delete(l.conns, t)
	l.mu.Unlock()
}

// reap closes every connection idle for at least timeout.
func (l *listener) reap(timeout time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for c := range l.conns {
		if c.idleFor(now) >= timeout {
			delete(l.conns, c)
			c.Conn.Close()
		}
	}
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
	if cfg.IdleGrace <= 0 {
		cfg.IdleGrace = DefaultIdleGrace
	}
	if cfg.ControlPath != "" {
		cfg.Control = true
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
		if err := privateDir(dir); err != nil {
			return err
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
	if !s.cfg.Control {
		return nil
	}
	s.ctlPath = s.cfg.ControlPath
	if s.ctlPath == "" && s.cfg.SocketDir != "" {
		s.ctlPath = filepath.Join(s.cfg.SocketDir, "control.sock")
	}
	if s.ctlPath == "" {
		return errors.New("server: a control socket needs a socket directory or a control path")
	}
	l, err := listenUnix(s.ctlPath)
	if err != nil {
		return err
	}
	s.control = l
	return nil
}

func (s *Server) add(l net.Listener, i int) error {
	ep, err := s.cfg.Device.Partition(i)
	if err != nil {
		l.Close()
		return err
	}
	s.listeners = append(s.listeners, &listener{Listener: l, ep: ep, conns: map[*tracked]struct{}{},
		info: Endpoint{Partition: i, Network: l.Addr().Network(), Address: l.Addr().String()}})
	return nil
}

// privateDir makes the socket directory (0700), or checks an existing one:
// a real directory (not a symbolic link), owned by this user, with no
// permission for group or others. Anyone else who could write to it could
// replace a socket with their own and receive the clients' requests.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("server: socket directory %s is not a directory", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("server: socket directory %s is not owned by this user (uid %d); refusing it", dir, os.Getuid())
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("server: socket directory %s has mode %04o; it must be private to its owner (chmod 700)", dir, fi.Mode().Perm())
	}
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
				t := &tracked{Conn: c}
				t.last.Store(time.Now().UnixNano())
				t.cn = newConn(l.ep, t, s.cfg.MaxFrame, s.cfg.MaxInFlight)
				if !l.admit(t, s.cfg.MaxConnections, s.cfg.IdleGrace) {
					// Refused: one Busy answer (request_id 0), then hang up.
					c.SetWriteDeadline(time.Now().Add(time.Second))
					c.Write(wire.AppendFrame(nil, refusal(rc.Busy)))
					c.Close()
					return
				}
				defer l.leave(t)
				t.cn.serve(ctx)
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
	if s.cfg.IdleTimeout > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(max(s.cfg.IdleTimeout/4, 10*time.Millisecond))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					for _, l := range s.listeners {
						l.reap(s.cfg.IdleTimeout)
					}
				}
			}
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
