package transport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// mux pipelines round trips over one byte stream. Frames are written
// whole and never interleave; when several round trips send at once, the
// one that finds the stream idle writes its own frame and every frame
// queued meanwhile, in one write each time round, so concurrent sessions
// share system calls instead of queueing for them. One reader goroutine
// hands each response frame to the waiter whose request carried the same
// request_id (the device echoes request_id in the response header so a
// client can pipeline).
type mux struct {
	raw io.Writer

	wmu sync.Mutex
	// queued holds whole frames waiting to be written; writing is set
	// while a round trip writes them. spare is the other buffer, so the
	// two alternate without allocating. All under wmu.
	queued, spare []byte
	writing       bool

	mu      sync.Mutex
	pending map[uint32]chan []byte
	err     error // why the connection ended; set once
	done    chan struct{}
	// waiters recycles the reply channels of completed round trips.
	waiters sync.Pool

	closeOnce sync.Once
	closeFn   func() error
	closeErr  error
	readerEnd chan struct{}
}

// maxKeptWriteBuffer bounds the write buffer a connection keeps between
// bursts.
const maxKeptWriteBuffer = 64 << 10

func newMux(r io.Reader, w io.Writer, closeFn func() error) *mux {
	m := &mux{
		raw:       w,
		pending:   make(map[uint32]chan []byte),
		done:      make(chan struct{}),
		closeFn:   closeFn,
		readerEnd: make(chan struct{}),
	}
	go m.readLoop(bufio.NewReaderSize(r, 16384))
	return m
}

// RoundTrip sends frame and waits for the response with the same
// request_id. If ctx ends first, RoundTrip returns ctx.Err(); a response
// that arrives later is discarded.
func (m *mux) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	id, err := requestID(frame)
	if err != nil {
		return nil, fmt.Errorf("transport: request: %w", err)
	}
	if len(frame) > wire.MaxFrame {
		return nil, fmt.Errorf("transport: request of %d bytes exceeds %d: %w", len(frame), wire.MaxFrame, rc.FrameTooLarge)
	}
	ch, _ := m.waiters.Get().(chan []byte)
	if ch == nil {
		ch = make(chan []byte, 1)
	}
	m.mu.Lock()
	if m.err != nil {
		err := m.err
		m.mu.Unlock()
		return nil, err
	}
	if _, dup := m.pending[id]; dup {
		m.mu.Unlock()
		return nil, ErrDuplicateRequestID
	}
	m.pending[id] = ch
	m.mu.Unlock()

	if err := m.write(ctx, frame); err != nil {
		m.mu.Lock()
		delete(m.pending, id)
		m.mu.Unlock()
		return nil, err
	}
	select {
	case resp := <-ch:
		m.waiters.Put(ch)
		return resp, nil
	case <-m.done:
		// The reader may have delivered just before failing.
		select {
		case resp := <-ch:
			return resp, nil
		default:
		}
		return nil, m.failure()
	case <-ctx.Done():
		// Leave the entry registered so the late response is recognised
		// and dropped instead of being taken for a protocol violation.
		return nil, ctx.Err()
	}
}

// write queues frame and, unless another round trip is writing already
// (and will send it next), writes the queue until it is empty. A failed
// write ends the connection, which every waiter learns through m.done.
// The writer's deadline bounds its writes; it is set and cleared while
// that round trip is the writer, so it never outlives them.
func (m *mux) write(ctx context.Context, frame []byte) error {
	m.wmu.Lock()
	m.queued = wire.AppendFrame(m.queued, frame)
	if m.writing {
		m.wmu.Unlock()
		return nil
	}
	m.writing = true
	var dl interface{ SetWriteDeadline(time.Time) error }
	if t, ok := ctx.Deadline(); ok {
		if d, ok := m.raw.(interface{ SetWriteDeadline(time.Time) error }); ok {
			dl = d
			dl.SetWriteDeadline(t)
		}
	}
	var err error
	for len(m.queued) > 0 && err == nil {
		buf := m.queued
		m.queued = m.spare[:0]
		m.wmu.Unlock()
		_, err = m.raw.Write(buf)
		m.wmu.Lock()
		// buf is free again; m.spare was handed to m.queued.
		m.spare = nil
		if cap(buf) <= maxKeptWriteBuffer {
			m.spare = buf[:0]
		}
	}
	if err != nil {
		// A partly written frame desynchronises the stream for good.
		m.queued = nil
	}
	if dl != nil {
		dl.SetWriteDeadline(time.Time{})
	}
	m.writing = false
	m.wmu.Unlock()
	if err != nil {
		return m.fail(fmt.Errorf("transport: write: %w", err))
	}
	return nil
}

func (m *mux) readLoop(r *bufio.Reader) {
	defer close(m.readerEnd)
	for {
		resp, err := readFrame(r)
		if err != nil {
			m.fail(fmt.Errorf("transport: read: %w", err))
			return
		}
		id, status, err := responseIDStatus(resp)
		if err != nil {
			m.fail(fmt.Errorf("%w: %v", ErrUnexpectedResponse, err))
			return
		}
		m.mu.Lock()
		ch, ok := m.pending[id]
		delete(m.pending, id)
		m.mu.Unlock()
		if !ok {
			if id == 0 && status != rc.Success {
				// A refusal of the connection as a whole (Busy beyond the
				// device's connection limit, FrameTooLarge) answers no
				// request: request_id 0. Every waiter gets its status.
				m.fail(fmt.Errorf("transport: the device refused the connection: %w", status))
				return
			}
			m.fail(fmt.Errorf("%w: request_id %d", ErrUnexpectedResponse, id))
			return
		}
		ch <- resp // buffered; never blocks
	}
}

// fail records the first reason the connection ended, wakes every waiter
// and closes the connection. It returns the recorded reason.
func (m *mux) fail(err error) error {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
		close(m.done)
	}
	err = m.err
	m.mu.Unlock()
	m.closeConn()
	return err
}

func (m *mux) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *mux) closeConn() {
	m.closeOnce.Do(func() { m.closeErr = m.closeFn() })
}

// Close ends the connection; RoundTrips in flight return ErrClosed.
func (m *mux) Close() error {
	m.mu.Lock()
	if m.err == nil {
		m.err = ErrClosed
		close(m.done)
	}
	m.mu.Unlock()
	m.closeConn()
	<-m.readerEnd
	return m.closeErr
}
