package server

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/control"
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// newDevice starts a device with fast PIN hashing and no periodic tests.
func newDevice(t testing.TB, partitions int) *device.Device {
	t.Helper()
	d, err := device.New(device.Config{Partitions: partitions, PINIterations: 1000, SelfTestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// start serves d on a fresh socket directory until the test ends.
func start(t testing.TB, cfg Config) (*Server, context.CancelFunc, <-chan error) {
	t.Helper()
	if cfg.SocketDir == "" {
		// Unix socket paths are short (108 bytes): keep the directory near /tmp.
		dir, err := os.MkdirTemp("", "ihsm-srv")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		cfg.SocketDir = filepath.Join(dir, "s")
	}
	s, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		for range done {
		}
	})
	return s, cancel, done
}

func apiRevisionFrame(t testing.TB, id uint32) []byte {
	t.Helper()
	body, err := wire.Marshal(&wire.GetApiRevisionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := wire.EncodeRequest(wire.RequestHeader{Revision: wire.Revision, Opcode: wire.OpGetApiRevision, RequestID: id}, wire.Envelope{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSocketLayoutAndMode(t *testing.T) {
	d := newDevice(t, 3)
	s, _, _ := start(t, Config{Device: d, Control: true})
	eps := s.Endpoints()
	if len(eps) != 3 {
		t.Fatalf("%d endpoints, want 3", len(eps))
	}
	for i, e := range eps {
		if e.Partition != i || e.Network != "unix" || filepath.Base(e.Address) != "partition-"+string(rune('0'+i))+".sock" {
			t.Errorf("endpoint %d = %+v", i, e)
		}
		fi, err := os.Stat(e.Address)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Address, fi.Mode().Perm())
		}
	}
	if filepath.Base(s.ControlPath()) != "control.sock" {
		t.Errorf("control path %q", s.ControlPath())
	}
	fi, err := os.Stat(filepath.Dir(eps[0].Address))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}

func TestPipelinedRoundTrips(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d})
	tr, err := transport.Dial(context.Background(), s.Endpoints()[0].Target())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := tr.RoundTrip(context.Background(), apiRevisionFrame(t, uint32(i+1)))
			if err != nil {
				t.Error(err)
				return
			}
			h, _, err := wire.DecodeResponse(out)
			if err != nil || h.RequestID != uint32(i+1) || h.Status != rc.Success {
				t.Errorf("response %+v, %v", h, err)
			}
		}()
	}
	wg.Wait()
}

func TestFrameTooLargeClosesConnection(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d})
	c, err := transport.DialRaw(context.Background(), s.Endpoints()[0].Target())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteLengthPrefix(wire.MaxFrame + 1); err != nil {
		t.Fatal(err)
	}
	out, err := c.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := wire.DecodeResponse(out)
	if err != nil || h.Status != rc.FrameTooLarge {
		t.Fatalf("response %+v, %v; want FrameTooLarge", h, err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after FrameTooLarge: %v, want the connection closed", err)
	}
}

func TestConnectionLimit(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d, MaxConnections: 2, IdleGrace: time.Hour})
	target := s.Endpoints()[0].Target()
	var open []*transport.RawConn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range 2 {
		c, err := transport.DialRaw(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		// A round trip proves the connection is being served.
		if err := c.WriteFrame(apiRevisionFrame(t, uint32(i+1))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadFrame(); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	c, err := transport.DialRaw(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	out, err := c.ReadFrame()
	if err != nil {
		t.Fatalf("third connection: %v, want a Busy answer", err)
	}
	if h, _, err := wire.DecodeResponse(out); err != nil || h.Status != rc.Busy {
		t.Fatalf("third connection answered %+v %v, want Busy", h, err)
	}
	if _, err := c.ReadFrame(); err == nil {
		t.Fatal("third connection was served; want it refused")
	}
	// Closing one frees a slot.
	open[0].Close()
	open = open[1:]
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := transport.DialRaw(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(time.Second))
		c.WriteFrame(apiRevisionFrame(t, 10))
		_, err = c.ReadFrame()
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot after a connection closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGracefulShutdownAnswersInFlight(t *testing.T) {
	d := newDevice(t, 1)
	s, cancel, done := start(t, Config{Device: d})
	c, err := transport.DialRaw(context.Background(), s.Endpoints()[0].Target())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 50
	for i := range n {
		if err := c.WriteFrame(apiRevisionFrame(t, uint32(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	// Read one answer so the server is known to be serving, then shut down.
	if _, err := c.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	cancel()
	got := 1
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := c.ReadFrame(); err != nil {
			break
		}
		got++
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	// Every request the server read before the shutdown was answered; the
	// server may have stopped reading before the client's last frames.
	if got < 1 || got > n {
		t.Fatalf("%d answers", got)
	}
	if _, err := os.Stat(s.Endpoints()[0].Address); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind: %v", err)
	}
	if _, err := net.Dial("unix", s.Endpoints()[0].Address); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestTCPLoopbackOnly(t *testing.T) {
	d := newDevice(t, 2)
	if _, err := Listen(Config{Device: d, TCPAddr: "0.0.0.0:0"}); err == nil {
		t.Fatal("non-loopback TCP address accepted without AllowNonLoopback")
	}
	if _, err := Listen(Config{Device: d, TCPAddr: "example.com:0"}); err == nil {
		t.Fatal("host name accepted")
	}
	s, _, _ := start(t, Config{Device: d, TCPAddr: "127.0.0.1:0"})
	var tcp []Endpoint
	for _, e := range s.Endpoints() {
		if e.Network == "tcp" {
			tcp = append(tcp, e)
		}
	}
	if len(tcp) != 2 {
		t.Fatalf("TCP endpoints %+v", tcp)
	}
	tr, err := transport.Dial(context.Background(), tcp[1].Target())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	out, err := tr.RoundTrip(context.Background(), apiRevisionFrame(t, 7))
	if err != nil {
		t.Fatal(err)
	}
	if h, _, err := wire.DecodeResponse(out); err != nil || h.Status != rc.Success {
		t.Fatalf("%+v %v", h, err)
	}
}

func TestStaleAndLiveSockets(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d})
	dir := filepath.Dir(s.Endpoints()[0].Address)
	if _, err := Listen(Config{Device: d, SocketDir: dir}); err == nil {
		t.Fatal("second server on live sockets")
	}
	// A regular file where a socket should be is refused.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "partition-0.sock"), nil, 0o600)
	if _, err := Listen(Config{Device: d, SocketDir: other}); err == nil {
		t.Fatal("regular file replaced")
	}
}

func TestControlSocket(t *testing.T) {
	d := newDevice(t, 1)
	if s, _, _ := start(t, Config{Device: d}); s.ControlPath() != "" {
		t.Fatalf("a control socket %s without Control", s.ControlPath())
	} else if _, err := os.Stat(filepath.Join(filepath.Dir(s.Endpoints()[0].Address), "control.sock")); err == nil {
		t.Fatal("control.sock made without Control")
	}
	s, _, _ := start(t, Config{Device: d, Control: true})
	ctx := context.Background()
	cc, err := control.Dial(ctx, s.ControlPath())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	r, err := cc.Run(ctx, control.OpStatus)
	if err != nil || r.DeviceState != uint32(device.StateOperational) {
		t.Fatalf("status %+v %v", r, err)
	}
	before := r.Time
	r, err = cc.Do(ctx, control.Request{Op: control.OpAdvanceClock, Delta: int64(time.Hour)})
	if err != nil || r.Time-before < int64(time.Hour) {
		t.Fatalf("advance-clock %+v %v", r, err)
	}
	target := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err = cc.Do(ctx, control.Request{Op: control.OpSetClock, Time: target.UnixNano()})
	if err != nil || time.Unix(0, r.Time).Sub(target).Abs() > time.Minute {
		t.Fatalf("set-clock %+v %v", r, err)
	}
	if _, err := cc.Do(ctx, control.Request{Op: control.OpFailSelfTest, Name: "no-such-test"}); err == nil {
		t.Fatal("unknown self-test accepted")
	}
	r, err = cc.Do(ctx, control.Request{Op: control.OpFailSelfTest, Name: "KAT-AES-GCM"})
	if err != nil || r.DeviceState != uint32(device.StateError) {
		t.Fatalf("fail-self-test %+v %v", r, err)
	}
	r, err = cc.Run(ctx, control.OpPowerCycle)
	if err != nil || r.DeviceState != uint32(device.StateOperational) {
		t.Fatalf("power-cycle %+v %v", r, err)
	}
	r, err = cc.Run(ctx, control.OpHoldSelfTest)
	if err != nil || r.DeviceState != uint32(device.StateSelfTest) {
		t.Fatalf("hold-self-test %+v %v", r, err)
	}
	r, err = cc.Run(ctx, control.OpPowerCycle)
	if err != nil || r.DeviceState != uint32(device.StateOperational) {
		t.Fatalf("power-cycle after hold-self-test %+v %v", r, err)
	}
	if _, err := cc.Run(ctx, "no-such-op"); err == nil {
		t.Fatal("unknown operation accepted")
	}
	r, err = cc.Run(ctx, control.OpTamper)
	if err != nil || r.DeviceState != uint32(device.StateTampered) {
		t.Fatalf("tamper %+v %v", r, err)
	}
	// A device with its state in memory can be reset even after a tamper.
	r, err = cc.Run(ctx, control.OpReset)
	if err != nil || r.DeviceState != uint32(device.StateOperational) {
		t.Fatalf("reset %+v %v", r, err)
	}
	r, err = cc.Run(ctx, control.OpZeroizeAll)
	if err != nil || r.DeviceState != uint32(device.StateZeroized) {
		t.Fatalf("zeroize-all %+v %v", r, err)
	}
}

func TestInProcess(t *testing.T) {
	d := newDevice(t, 1)
	ep, err := d.Partition(0)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewInProcess(ep)
	out, err := tr.RoundTrip(context.Background(), apiRevisionFrame(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if h, _, err := wire.DecodeResponse(out); err != nil || h.RequestID != 3 || h.Status != rc.Success {
		t.Fatalf("%+v %v", h, err)
	}
	out, err = tr.RoundTrip(context.Background(), make([]byte, wire.MaxFrame+1))
	if h, _, derr := wire.DecodeResponse(out); err != nil || derr != nil || h.Status != rc.FrameTooLarge {
		t.Fatalf("oversized: %+v %v %v", h, err, derr)
	}
	tr.Close()
	if _, err := tr.RoundTrip(context.Background(), apiRevisionFrame(t, 4)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
