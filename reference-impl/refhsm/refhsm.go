package refhsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/reference-impl/control"
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/transport"
)

// Options configure an embedded reference HSM.
type Options struct {
	// Partitions is the number of partitions (default 2, the fewest the
	// isolation scenarios need).
	Partitions int
	// Faults are deliberate defects (mutation testing only; a build
	// without the ihsmfaults tag refuses them).
	Faults []device.Fault
	// FirmwareVersion and FirmwareMeasurement are attested by the device
	// (default: "embedded" and the SHA-384 of the empty string's absence,
	// all zero bytes).
	FirmwareVersion     string
	FirmwareMeasurement [48]byte
	// PINIterations lowers the PIN verifier's PBKDF2 iteration count for
	// tests (default: the boundary's).
	PINIterations int
	// TCPAddr, if set, also serves every partition on TCP (a loopback
	// host; port 0 picks a free port per partition).
	TCPAddr string
}

// HSM is a running embedded reference HSM.
type HSM struct {
	Device *device.Device

	dir     string
	srv     *server.Server
	cancel  context.CancelFunc
	done    chan error
	closeMu sync.Once
}

// Start powers on an ephemeral device and serves it on Unix sockets in a
// new private directory, with a control socket.
func Start(o Options) (*HSM, error) {
	if o.Partitions == 0 {
		o.Partitions = 2
	}
	if o.FirmwareVersion == "" {
		o.FirmwareVersion = "embedded"
	}
	d, err := device.New(device.Config{
		Partitions: o.Partitions, Faults: o.Faults, PINIterations: o.PINIterations,
		FirmwareVersion: o.FirmwareVersion, FirmwareMeasurement: o.FirmwareMeasurement,
	})
	if err != nil {
		return nil, err
	}
	// Socket paths are limited to about 100 bytes, so the directory is
	// made under the system temporary directory, not a test's deep one.
	dir, err := os.MkdirTemp("", "ihsm-embedded-")
	if err != nil {
		d.Close()
		return nil, err
	}
	srv, err := server.Listen(server.Config{Device: d, SocketDir: dir, TCPAddr: o.TCPAddr, Control: true})
	if err != nil {
		d.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &HSM{Device: d, dir: dir, srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- srv.Serve(ctx) }()
	return h, nil
}

// Targets returns the Unix socket URL of every partition, in order.
func (h *HSM) Targets() []string { return h.targets("unix") }

// TCPTargets returns the TCP URL of every partition, in order, when the
// HSM was started with a TCPAddr.
func (h *HSM) TCPTargets() []string { return h.targets("tcp") }

func (h *HSM) targets(network string) []string {
	var t []string
	for _, e := range h.srv.Endpoints() {
		if e.Partition >= 0 && e.Network == network {
			t = append(t, e.Target())
		}
	}
	return t
}

// ControlURL returns the control socket's URL.
func (h *HSM) ControlURL() string { return "unix://" + h.srv.ControlPath() }

// Close stops the server, powers the device off and removes the sockets.
func (h *HSM) Close() error {
	var err error
	h.closeMu.Do(func() {
		h.cancel()
		select {
		case err = <-h.done:
		case <-time.After(10 * time.Second):
			err = errors.New("refhsm: server did not stop")
		}
		if cerr := h.Device.Close(); err == nil {
			err = cerr
		}
		if rerr := os.RemoveAll(h.dir); err == nil {
			err = rerr
		}
	})
	return err
}

// InProcess returns a driver that reaches the device without sockets:
// requests are calls of the endpoints, raw connections are net.Pipe ends
// served by the same connection code as a socket, and control operations
// are carried out directly.
func (h *HSM) InProcess() driver.Driver {
	return &inProcess{d: h.Device, ctl: server.NewControlHandler(h.Device)}
}

type inProcess struct {
	d   *device.Device
	ctl control.Handler
}

var (
	_ driver.Driver    = (*inProcess)(nil)
	_ driver.RawDialer = (*inProcess)(nil)
	_ driver.Control   = (*inProcess)(nil)
)

func (p *inProcess) Partitions() int { return p.d.Partitions() }

func (p *inProcess) Dial(_ context.Context, i int) (transport.Transport, error) {
	ep, err := p.d.Partition(i)
	if err != nil {
		return nil, err
	}
	return server.NewInProcess(ep), nil
}

func (p *inProcess) DialRaw(ctx context.Context, i int) (*transport.RawConn, error) {
	ep, err := p.d.Partition(i)
	if err != nil {
		return nil, err
	}
	client, dev := net.Pipe()
	go server.ServeConn(context.WithoutCancel(ctx), ep, dev)
	return transport.NewRawConn(client), nil
}

func (p *inProcess) do(ctx context.Context, req control.Request) error {
	resp := p.ctl.Control(ctx, req)
	if !resp.OK {
		return fmt.Errorf("control %s: %s", req.Op, resp.Error)
	}
	return nil
}

func (p *inProcess) Reset(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpReset})
}

func (p *inProcess) PowerCycle(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpPowerCycle})
}

func (p *inProcess) Tamper(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpTamper})
}

func (p *inProcess) ZeroizeAll(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpZeroizeAll})
}

func (p *inProcess) Migrate(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpMigrate})
}

func (p *inProcess) AdvanceClock(ctx context.Context, d time.Duration) error {
	return p.do(ctx, control.Request{Op: control.OpAdvanceClock, Delta: int64(d)})
}

func (p *inProcess) FailSelfTest(ctx context.Context, name string) error {
	return p.do(ctx, control.Request{Op: control.OpFailSelfTest, Name: name})
}

func (p *inProcess) HoldSelfTest(ctx context.Context) error {
	return p.do(ctx, control.Request{Op: control.OpHoldSelfTest})
}
