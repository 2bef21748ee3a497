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
// The read loop reads frames and hands each to a worker goroutine, so
// requests on one connection are pipelined and their responses may come
// back in any order (each carries its request_id). Requests of one session
// are the exception: the channel accepts only the next sequence number, so
// they are queued per session and run one after the other, in the order
// they arrived. At most maxInFlight requests of a connection are in
// progress; the read loop stops reading while that many are, which pushes
// back on the client through the socket.
//
// Workers outlive their requests: one that finishes waits for the next
// piece of work, so a busy connection does not pay for a new goroutine
// (and the growth of its stack to the depth of a signature) per request.
// There are never more workers than requests were once in progress at the
// same time, at most maxInFlight. Responses that are ready while another
// is being written go out together in the next write.
type conn struct {
	ep       device.Endpoint
	c        net.Conn
	maxFrame int

	sem chan struct{}
	wg  sync.WaitGroup
	// idle hands work to a worker waiting for it; quit ends the waiting
	// workers once the read loop is done.
	idle chan work
	quit chan struct{}
	// workers counts the worker goroutines; read loop only.
	workers int

	// wmu guards the write side: queued holds whole response frames not
	// yet written, writing is set while a worker writes them, spare is
	// the other buffer so the two alternate without allocating, and werr
	// is the first write error, after which responses are dropped.
	wmu           sync.Mutex
	queued, spare []byte
	writing       bool
	werr          error
	// drained wakes responses waiting for room in queued, which holds at
	// most maxQueuedWrite bytes while a write is in progress: a client
	// that does not read its answers stops the workers, and then the read
	// loop, instead of growing the queue.
	drained *sync.Cond

	qmu    sync.Mutex
	queues map[uint32]*queue
	// free holds emptied queues for reuse, so a session that sends one
	// request at a time costs no queue allocation per request.
	free []*queue
}

// work is what a worker runs: one request outside sessions (frame), or the
// queue of session sid.
type work struct {
	frame []byte
	sid   uint32
	q     *queue
}

// queue holds the waiting requests of one session on one connection.
type queue struct {
	frames  [][]byte
	running bool
}

// maxKeptWriteBuffer bounds the write buffer a connection keeps between
// bursts.
const maxKeptWriteBuffer = 64 << 10

// maxQueuedWrite bounds the responses waiting for a write in progress.
const maxQueuedWrite = 256 << 10

func newConn(ep device.Endpoint, c net.Conn, maxFrame, maxInFlight int) *conn {
	cn := &conn{ep: ep, c: c, maxFrame: maxFrame, sem: make(chan struct{}, maxInFlight),
		idle: make(chan work), quit: make(chan struct{}), queues: map[uint32]*queue{}}
	cn.drained = sync.NewCond(&cn.wmu)
	return cn
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
	defer close(cn.quit)
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
		cn.start(ctx, work{frame: frame})
	}
}

// start hands w to an idle worker, or to a new one if none is waiting and
// the connection has fewer than maxInFlight+1 (every request in progress,
// and one writing); otherwise it waits for a worker to come free. Only the
// read loop calls it.
func (cn *conn) start(ctx context.Context, w work) {
	select {
	case cn.idle <- w:
		return
	default:
	}
	if cn.workers > cap(cn.sem) {
		cn.idle <- w
		return
	}
	cn.workers++
	cn.wg.Add(1)
	go cn.worker(ctx, w)
}

// worker runs w, then whatever work it is handed next, until the
// connection is done.
func (cn *conn) worker(ctx context.Context, w work) {
	defer cn.wg.Done()
	for {
		if w.q != nil {
			cn.drain(ctx, w.sid, w.q)
		} else {
			cn.run(ctx, w.frame)
		}
		select {
		case w = <-cn.idle:
		case <-cn.quit:
			return
		}
	}
}

func (cn *conn) run(ctx context.Context, frame []byte) {
	out := cn.ep.Handle(ctx, frame)
	<-cn.sem
	cn.write(out)
}

func (cn *conn) enqueue(ctx context.Context, sid uint32, frame []byte) {
	cn.qmu.Lock()
	q := cn.queues[sid]
	if q == nil {
		if n := len(cn.free); n > 0 {
			q, cn.free = cn.free[n-1], cn.free[:n-1]
		} else {
			q = &queue{}
		}
		cn.queues[sid] = q
	}
	q.frames = append(q.frames, frame)
	if q.running {
		cn.qmu.Unlock()
		return
	}
	q.running = true
	cn.qmu.Unlock()
	cn.start(ctx, work{sid: sid, q: q})
}

// drain runs the queued requests of one session in order, and ends when
// the queue is empty.
func (cn *conn) drain(ctx context.Context, sid uint32, q *queue) {
	for {
		cn.qmu.Lock()
		if len(q.frames) == 0 {
			q.running = false
			delete(cn.queues, sid)
			if len(cn.free) < cap(cn.sem) {
				cn.free = append(cn.free, q)
			}
			cn.qmu.Unlock()
			return
		}
		frame := q.frames[0]
		n := copy(q.frames, q.frames[1:])
		q.frames[n] = nil
		q.frames = q.frames[:n]
		cn.qmu.Unlock()
		cn.run(ctx, frame)
	}
}

// write sends one response frame: at once if no other is being written,
// otherwise with the writer's next write.
func (cn *conn) write(payload []byte) {
	cn.wmu.Lock()
	for cn.writing && cn.werr == nil && len(cn.queued) >= maxQueuedWrite {
		cn.drained.Wait()
	}
	if cn.werr != nil {
		cn.wmu.Unlock()
		return
	}
	cn.queued = wire.AppendFrame(cn.queued, payload)
	if cn.writing {
		cn.wmu.Unlock()
		return
	}
	cn.writing = true
	for len(cn.queued) > 0 && cn.werr == nil {
		buf := cn.queued
		cn.queued = cn.spare[:0]
		cn.drained.Broadcast()
		cn.wmu.Unlock()
		_, err := cn.c.Write(buf)
		cn.wmu.Lock()
		// buf is free again; cn.spare was handed to cn.queued.
		cn.spare = nil
		if cap(buf) <= maxKeptWriteBuffer {
			cn.spare = buf[:0]
		}
		if err != nil {
			cn.werr, cn.queued = err, nil
			// The client will not get its answers; stop reading its
			// requests.
			cn.c.SetReadDeadline(time.Now())
			cn.drained.Broadcast()
		}
	}
	cn.writing = false
	cn.wmu.Unlock()
}

// refusal is a response to no particular request (request_id 0, opcode
// 0): FrameTooLarge for a frame whose payload was never read, Busy for a
// connection beyond the limit.
func refusal(code rc.Code) []byte {
	out, _ := wire.EncodeResponse(wire.ResponseHeader{Revision: wire.Revision, Status: code},
		wire.Envelope{Body: wire.EmptyBody()})
	return out
}
