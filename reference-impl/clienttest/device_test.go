package clienttest

import (
	"context"
	"crypto/sha512"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/transport"
)

// testPIN is the partition PIN of every test device.
var testPIN = []byte("correct horse battery")

// hsm is a reference HSM served on Unix sockets for one test.
type hsm struct {
	dev    *device.Device
	target string // partition 0
	dir    string
}

// startHSM powers on a fresh device with two partitions and serves it on
// Unix sockets in a private directory until the test ends.
func startHSM(tb testing.TB) *hsm {
	tb.Helper()
	dev, err := device.New(device.Config{
		Partitions:          2,
		FirmwareVersion:     "test",
		FirmwareMeasurement: sha512.Sum384([]byte("clienttest firmware")),
		SelfTestInterval:    -1,
		PINIterations:       1000,
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Unix socket paths are limited to about 100 bytes; t.TempDir can be
	// longer, so use a short directory of our own.
	dir, err := os.MkdirTemp("", "ihsm")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.Listen(server.Config{Device: dev, SocketDir: filepath.Join(dir, "s")})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tb.Error("server did not shut down")
		}
		dev.Close()
		os.RemoveAll(dir)
	})
	h := &hsm{dev: dev, dir: dir}
	for _, ep := range srv.Endpoints() {
		if ep.Partition == 0 {
			h.target = ep.Target()
		}
	}
	if h.target == "" {
		tb.Fatal("server serves no partition 0")
	}
	return h
}

// targetOf returns the target of partition i.
func (h *hsm) targetOf(i int) string {
	return "unix://" + filepath.Join(h.dir, "s", "partition-"+string(rune('0'+i))+".sock")
}

// dial returns a client on target, closed with the test.
func dial(tb testing.TB, target string, opts ...client.Option) *client.Client {
	tb.Helper()
	t, err := transport.Dial(context.Background(), target)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { t.Close() })
	return client.New(t, opts...)
}

// provisioned returns a client on partition 0 of a fresh device whose
// credential is testPIN.
func provisioned(tb testing.TB) (*hsm, *client.Client) {
	tb.Helper()
	h := startHSM(tb)
	c := dial(tb, h.target)
	if _, err := c.EstablishCredential(context.Background(), testPIN); err != nil {
		tb.Fatal(err)
	}
	return h, c
}

// session opens a session closed with the test.
func session(tb testing.TB, c *client.Client) *client.Session {
	tb.Helper()
	s, err := c.OpenSession(context.Background(), testPIN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(context.Background()) })
	return s
}
