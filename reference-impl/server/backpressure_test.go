package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestClientThatDoesNotReadIsThrottled sends far more requests than the
// server may hold answers for over a pipe whose client end never reads: the
// server must stop reading (the client's writes block) instead of queueing
// answers without bound, and once the client reads, every request is
// answered in full.
func TestClientThatDoesNotReadIsThrottled(t *testing.T) {
	ep, err := newDevice(t, 1).Partition(0)
	if err != nil {
		t.Fatal(err)
	}
	client, srv := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { ServeConn(ctx, ep, srv); close(served) }()
	t.Cleanup(func() { cancel(); client.Close(); <-served })

	// Each answer is some 20 bytes, so n requests ask the server to hold
	// more than ten times maxQueuedWrite of answers.
	const n, batch = 200_000, 1000
	var burst []byte
	for i := range batch {
		burst = wire.AppendFrame(burst, apiRevisionFrame(t, uint32(i+1)))
	}
	// sent counts whole bursts; rest is what a write cut short by the
	// deadline left of its burst.
	sent, rest := 0, []byte(nil)
	client.SetWriteDeadline(time.Now().Add(3 * time.Second))
	for sent < n {
		w, err := client.Write(burst)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			rest = burst[w:]
			break
		}
		sent += batch
	}
	// What the server may have taken in: answers in the queue (counted at
	// the smallest answer), requests in progress, one per worker, the read
	// buffer's worth, and the burst being written.
	small := len(ep.Handle(ctx, apiRevisionFrame(t, 1))) + 4
	limit := maxQueuedWrite/small + 2*(DefaultMaxInFlight+1) + (16<<10)/(len(apiRevisionFrame(t, 1))+4) + batch
	if sent > limit {
		t.Fatalf("the server read %d requests while none of its answers was read; it may hold at most %d", sent, limit)
	}

	// Now read: every request written is answered, and the rest of the
	// requests go through too.
	client.SetWriteDeadline(time.Time{})
	go func() {
		if _, err := client.Write(rest); err != nil {
			return
		}
		for sent += batch; sent < n; sent += batch {
			if _, err := client.Write(burst); err != nil {
				return
			}
		}
	}()
	r := bufio.NewReader(client)
	client.SetReadDeadline(time.Now().Add(60 * time.Second))
	for i := 0; i < n; i++ {
		out, err := wire.ReadFrame(r, wire.MaxFrame)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		if h, _, err := wire.DecodeResponse(out); err != nil || h.Status != rc.Success {
			t.Fatalf("answer %d: %+v, %v", i, h, err)
		}
	}
}
