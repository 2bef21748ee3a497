package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestMain lets the test binary act as an exec adapter: with
// IHSM_TRANSPORT_TEST_ADAPTER=echo it serves the echo device on
// stdin/stdout, so the exec transport is tested against a real child
// process.
func TestMain(m *testing.M) {
	switch os.Getenv("IHSM_TRANSPORT_TEST_ADAPTER") {
	case "echo":
		serveEcho(os.Stdin, os.Stdout, 1)
		os.Exit(0)
	case "bridge":
		if err := Bridge(context.Background(), os.Getenv("IHSM_TRANSPORT_TEST_TARGET"), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveEcho answers every request frame with a response frame carrying the
// same request_id and the request bytes, reordering each batch of up to
// batch requests so that responses come back out of order.
func serveEcho(r interface{ Read([]byte) (int, error) }, w interface{ Write([]byte) (int, error) }, batch int) {
	br := bufio.NewReader(r)
	bw := bufio.NewWriter(w)
	var held [][]byte
	for {
		req, err := readFrame(br)
		if err != nil {
			return
		}
		id, err := requestID(req)
		if err != nil {
			return
		}
		held = append(held, testResponse(id, req))
		if len(held) < batch {
			continue
		}
		for i := len(held) - 1; i >= 0; i-- {
			writeFrame(bw, held[i])
		}
		held = held[:0]
		if bw.Flush() != nil {
			return
		}
	}
}

// listenEcho serves the echo device on a Unix socket in a temporary
// directory and returns its path.
func listenEcho(t *testing.T, batch int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveEcho(c, c, batch)
			}()
		}
	}()
	return path
}

func TestSplitTarget(t *testing.T) {
	for _, tc := range []struct {
		target, scheme, rest string
		ok                   bool
	}{
		{"unix:///run/ihsm/partition-0.sock", "unix", "/run/ihsm/partition-0.sock", true},
		{"unix://./ihsm-state/partition-0.sock", "unix", "./ihsm-state/partition-0.sock", true},
		{"tcp://127.0.0.1:7000", "tcp", "127.0.0.1:7000", true},
		{"exec:./adapter --pci 0000:01:00.0", "exec", "./adapter --pci 0000:01:00.0", true},
		{"unix://", "", "", false},
		{"tcp://localhost", "", "", false},
		{"exec:  ", "", "", false},
		{"/run/ihsm.sock", "", "", false},
		{"http://x", "", "", false},
	} {
		s, r, err := splitTarget(tc.target)
		if (err == nil) != tc.ok || s != tc.scheme || r != tc.rest {
			t.Errorf("splitTarget(%q) = %q, %q, %v", tc.target, s, r, err)
		}
	}
}

// roundTrips runs n concurrent RoundTrips with distinct request_ids and
// checks each gets its own response.
func roundTrips(t *testing.T, tr Transport, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(id uint32) {
			defer wg.Done()
			req := testFrame(id, []byte(fmt.Sprint("payload ", id)))
			resp, err := tr.RoundTrip(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			got, err := responseID(resp)
			if err != nil || got != id || !bytes.Contains(resp, req) {
				errs <- fmt.Errorf("request %d got response %d (%v)", id, got, err)
			}
		}(uint32(i + 1))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestUnixPipelined(t *testing.T) {
	path := listenEcho(t, 4)
	tr, err := Dial(context.Background(), "unix://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// The server holds responses until it has 4 requests and answers
	// them in reverse order, so this passes only if requests are really
	// pipelined on one connection and routed by request_id.
	roundTrips(t, tr, 64)
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serveEcho(c, c, 2) }()
		}
	}()
	tr, err := Dial(context.Background(), "tcp://"+l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	roundTrips(t, tr, 32)
}

func TestExec(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("IHSM_TRANSPORT_TEST_ADAPTER", "echo")
	tr, err := Dial(context.Background(), "exec:"+exe+" -test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	roundTrips(t, tr, 16)
	if err := tr.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := tr.RoundTrip(context.Background(), testFrame(1, nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("RoundTrip after Close = %v, want ErrClosed", err)
	}
}

func TestDuplicateRequestID(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	tr := &UnixTransport{newMux(a, a, a.Close)}
	defer tr.Close()
	go func() { readFrame(b) }() // accept the first request, never answer
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	go tr.RoundTrip(ctx, testFrame(7, nil))
	time.Sleep(20 * time.Millisecond)
	if _, err := tr.RoundTrip(ctx, testFrame(7, nil)); !errors.Is(err, ErrDuplicateRequestID) {
		t.Fatalf("second request with id 7: %v, want ErrDuplicateRequestID", err)
	}
}

func TestUnexpectedResponseFailsConnection(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	tr := &UnixTransport{newMux(a, a, a.Close)}
	defer tr.Close()
	go func() {
		if _, err := readFrame(b); err == nil {
			writeFrame(b, testResponse(99, nil)) // answers a request never made
		}
	}()
	_, err := tr.RoundTrip(context.Background(), testFrame(1, nil))
	if !errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("RoundTrip = %v, want ErrUnexpectedResponse", err)
	}
	if _, err := tr.RoundTrip(context.Background(), testFrame(2, nil)); !errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("RoundTrip on failed connection = %v, want the recorded failure", err)
	}
}

func TestContextCancelDropsLateResponse(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	tr := &UnixTransport{newMux(a, a, a.Close)}
	defer tr.Close()
	release := make(chan struct{})
	go func() {
		br := bufio.NewReader(b)
		first, _ := readFrame(br)
		<-release
		id, _ := requestID(first)
		writeFrame(b, testResponse(id, nil)) // late answer to the cancelled request
		second, _ := readFrame(br)
		id, _ = requestID(second)
		writeFrame(b, testResponse(id, second))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := tr.RoundTrip(ctx, testFrame(1, nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RoundTrip = %v, want deadline exceeded", err)
	}
	close(release)
	resp, err := tr.RoundTrip(context.Background(), testFrame(2, nil))
	if err != nil {
		t.Fatalf("request after a cancelled one: %v", err)
	}
	if id, _ := responseID(resp); id != 2 {
		t.Fatalf("got response for %d", id)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	tr := &UnixTransport{newMux(a, a, a.Close)}
	go func() { readFrame(b) }()
	errc := make(chan error, 1)
	go func() {
		_, err := tr.RoundTrip(context.Background(), testFrame(1, nil))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	tr.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("waiter got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the waiter")
	}
}

func TestRawConn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var all bytes.Buffer
		all.ReadFrom(c)
		got <- all.Bytes()
		c.Write([]byte{0, 0, 0, 1, 0xa0})
	}()
	rc, err := DialRaw(context.Background(), "unix://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.WriteFrame([]byte{1, 2})
	rc.WriteLengthPrefix(0x00010001)
	rc.Write([]byte{0xff})
	if err := rc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 2, 1, 2, 0, 1, 0, 1, 0xff}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("device received %x, want %x", b, want)
	}
	rc.SetDeadline(time.Now().Add(5 * time.Second))
	f, err := rc.ReadFrame()
	if err != nil || !bytes.Equal(f, []byte{0xa0}) {
		t.Fatalf("ReadFrame = %x, %v", f, err)
	}
}

// TestBridge runs the test binary as an exec adapter that bridges its
// stdin and stdout to the echo device on a Unix socket: pipelined frames
// pass through unchanged both ways, and closing the transport ends the
// adapter.
func TestBridge(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("IHSM_TRANSPORT_TEST_ADAPTER", "bridge")
	t.Setenv("IHSM_TRANSPORT_TEST_TARGET", "unix://"+listenEcho(t, 4))
	tr, err := Dial(context.Background(), "exec:"+exe+" -test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	roundTrips(t, tr, 64)
	if err := tr.Close(); err != nil {
		t.Fatalf("close: the adapter did not end cleanly: %v", err)
	}
}

// TestBridgeDeviceCloses checks that Bridge returns when the device
// closes the connection first (as after FrameTooLarge), with what the
// device sent copied out.
func TestBridgeDeviceCloses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("bye"))
		c.Close()
	}()
	in, w := io.Pipe() // never closed: the suite is still writing
	defer w.Close()
	var out bytes.Buffer
	if err := Bridge(context.Background(), "unix://"+path, in, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "bye" {
		t.Fatalf("copied %q", out.String())
	}
	if err := Bridge(context.Background(), "exec:/bin/true", in, &out); err == nil {
		t.Fatal("an exec target was bridged")
	}
	if err := Bridge(context.Background(), "unix://"+filepath.Join(t.TempDir(), "none.sock"), in, &out); err == nil {
		t.Fatal("a missing socket was bridged")
	}
}

// TestRefusalIsReported: a device that refuses the connection answers with
// request_id 0 (Busy beyond its connection limit); the waiting round trip
// reports that status, not a protocol violation.
func TestRefusalIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		refusal, _ := wire.EncodeResponse(wire.ResponseHeader{Revision: wire.Revision, Status: rc.Busy}, wire.Envelope{Body: wire.EmptyBody()})
		writeFrame(c, refusal)
		io.Copy(io.Discard, c)
	}()
	tr, err := DialUnix(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.RoundTrip(context.Background(), testFrame(7, nil))
	if !errors.Is(err, rc.Busy) || errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("RoundTrip: %v, want Busy", err)
	}
}
