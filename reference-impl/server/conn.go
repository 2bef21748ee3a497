package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// conn serves one client connection of an endpoint.
//
// The read loop reads frames and hands each to a goroutine, so requests on
// one connection are pipelined and their responses may come back in any
// order (each carries its request_id). Requests of one session are the
// exception: the channel accepts only the next sequence number, so they
// are queued per session and run one after the other, in the order they
// arrived. At most maxInFlight requests of a connection are in progress;
// the read loop stops reading while that many are, which pushes back on the
// client through the socket.
type conn struct {
	ep       device.Endpoint
	c        net.Conn
	maxFrame int

	sem chan struct{}
	wg  sync.WaitGroup

	wmu sync.Mutex // one frame per Write, frames never interleave
	buf []byte     // write buffer, under wmu
	// werr is the first write error; later responses are dropped.
	werr error

	qmu    sync.Mutex
	queues map[uint32]*queue
}

// queue holds the waiting requests of one session on one connection.
type queue struct {
	frames  [][]byte
	running bool
}

func newConn(ep device.Endpoint, c net.Conn, maxFrame, maxInFlight int) *conn {
	return &conn{ep: ep, c: c, maxFrame: maxFrame, sem: make(chan struct{}, maxInFlight), queues: map[uint32]*queue{}}
}

// serve runs the read loop until the client closes the connection, the
// stream breaks, or ctx ends; then it lets the requests in flight finish,
// writes their responses, and closes the connection.
func (cn *conn) serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		// Graceful shutdown: stop reading at once; give the requests in
		// flight a bounded time to write their answers.
		cn.c.SetReadDeadline(time.Now())
		cn.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	})
	defer stop()
	defer cn.c.Close()
	defer cn.wg.Wait()
	r := bufio.NewReaderSize(cn.c, 16<<10)
	for {
		frame, err := wire.ReadFrame(r, cn.maxFrame)
		if err != nil {
			if errors.Is(err, rc.FrameTooLarge) {
				// The payload was not read, so the stream cannot be
				// resynchronised: answer and hang up (spec: wire.yaml,
				// framing).
				cn.write(refusal(rc.FrameTooLarge))
			}
			return
		}
		select {
		case cn.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		// A request that names a session waits its turn in that session's
		// queue; anything else, including an undecodable frame the device
		// will refuse, runs at once.
		if h, _, err := wire.DecodeRequest(frame); err == nil && h.SessionID != 0 {
			cn.enqueue(ctx, h.SessionID, frame)
			continue
		}
		cn.wg.Add(1)
		go func() {
			defer cn.wg.Done()
			cn.run(ctx, frame)
		}()
	}
}

func (cn *conn) run(ctx context.Context, frame []byte) {
	out := cn.ep.Handle(ctx, frame)
	<-cn.sem
	cn.write(out)
}

func (cn *conn) enqueue(ctx context.Context, sid uint32, frame []byte) {
	cn.qmu.Lock()
	defer cn.qmu.Unlock()
	q := cn.queues[sid]
	if q == nil {
		q = &queue{}
		cn.queues[sid] = q
	}
	q.frames = append(q.frames, frame)
	if !q.running {
		q.running = true
		cn.wg.Add(1)
		go cn.drain(ctx, sid, q)
	}
}

// drain runs the queued requests of one session in order, and ends when
// the queue is empty.
func (cn *conn) drain(ctx context.Context, sid uint32, q *queue) {
	defer cn.wg.Done()
	for {
		cn.qmu.Lock()
		if len(q.frames) == 0 {
			q.running = false
			delete(cn.queues, sid)
			cn.qmu.Unlock()
			return
		}
		frame := q.frames[0]
		q.frames[0] = nil
		q.frames = q.frames[1:]
		cn.qmu.Unlock()
		cn.run(ctx, frame)
	}
}

// write sends one response frame.
func (cn *conn) write(payload []byte) {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	if cn.werr != nil {
		return
	}
	cn.buf = wire.AppendFrame(cn.buf[:0], payload)
	if _, err := cn.c.Write(cn.buf); err != nil {
		cn.werr = err
		// The client will not get its answers; stop reading its requests.
		cn.c.SetReadDeadline(time.Now())
	}
	if cap(cn.buf) > 64<<10 {
		cn.buf = nil
	}
}

// refusal is a response to no particular request (request_id 0, opcode
// 0): FrameTooLarge for a frame whose payload was never read, Busy for a
// connection beyond the limit.
func refusal(code rc.Code) []byte {
	out, _ := wire.EncodeResponse(wire.ResponseHeader{Revision: wire.Revision, Status: code},
		wire.Envelope{Body: wire.EmptyBody()})
	return out
}
