package transcript

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/openihsm/openihsm/spec/transport"
)

// Direction of a recorded frame.
const (
	Request  byte = 1 // client to device
	Response byte = 2 // device to client
)

const domain = "OpenIHSM-v1 transcript"

// Entry is one line of a transcript file.
type Entry struct {
	Index     int    `json:"index"`
	Direction string `json:"direction"` // "request" or "response"
	Scenario  string `json:"scenario,omitempty"`
	Frame     string `json:"frame"` // hex
	Chain     string `json:"chain"` // hex SHA-256 chain value after this entry
}

// Recorder appends frames to a hash chain and, optionally, to a transcript
// file. It is safe for concurrent use; the chain follows the order in which
// frames reach it.
type Recorder struct {
	mu    sync.Mutex
	chain [sha256.Size]byte
	n     int
	w     *bufio.Writer
	err   error
}

// New returns a Recorder that writes entries to w (nil to keep only the
// digest).
func New(w io.Writer) *Recorder {
	r := &Recorder{chain: sha256.Sum256([]byte(domain))}
	if w != nil {
		r.w = bufio.NewWriter(w)
	}
	return r
}

func next(chain [sha256.Size]byte, dir byte, frame []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(chain[:])
	var hdr [5]byte
	hdr[0] = dir
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(frame)))
	h.Write(hdr[:])
	h.Write(frame)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func dirName(dir byte) string {
	if dir == Request {
		return "request"
	}
	return "response"
}

// Record appends one frame.
func (r *Recorder) Record(dir byte, scenario string, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chain = next(r.chain, dir, frame)
	if r.w != nil && r.err == nil {
		line, err := json.Marshal(Entry{
			Index:     r.n,
			Direction: dirName(dir),
			Scenario:  scenario,
			Frame:     hex.EncodeToString(frame),
			Chain:     hex.EncodeToString(r.chain[:]),
		})
		if err == nil {
			line = append(line, '\n')
			_, err = r.w.Write(line)
		}
		r.err = err
	}
	r.n++
}

// Digest returns the current chain value as "sha256:<hex>" and the number of
// frames recorded.
func (r *Recorder) Digest() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return "sha256:" + hex.EncodeToString(r.chain[:]), r.n
}

// Flush writes buffered entries and reports the first write error.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil && r.err == nil {
		r.err = r.w.Flush()
	}
	return r.err
}

// Wrap returns a transport that records every request and response frame of
// t under the given scenario name.
func (r *Recorder) Wrap(t transport.Transport, scenario string) transport.Transport {
	return &recorded{t: t, r: r, scenario: scenario}
}

type recorded struct {
	t        transport.Transport
	r        *Recorder
	scenario string
}

var _ transport.Transport = (*recorded)(nil)

func (c *recorded) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	c.r.Record(Request, c.scenario, frame)
	resp, err := c.t.RoundTrip(ctx, frame)
	if err == nil {
		c.r.Record(Response, c.scenario, resp)
	}
	return resp, err
}

func (c *recorded) Close() error { return c.t.Close() }

// ErrBroken is returned by Verify when the chain does not match.
var ErrBroken = errors.New("transcript: hash chain broken")

// Verify reads a transcript file, recomputes the chain from its frames and
// returns the final digest ("sha256:<hex>") and the number of frames. An
// entry whose index, direction or chain value does not match is an error
// naming the entry.
func Verify(rd io.Reader) (string, int, error) {
	chain := sha256.Sum256([]byte(domain))
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return "", n, fmt.Errorf("transcript line %d: %w", n+1, err)
		}
		if e.Index != n {
			return "", n, fmt.Errorf("%w: line %d has index %d", ErrBroken, n+1, e.Index)
		}
		var dir byte
		switch e.Direction {
		case "request":
			dir = Request
		case "response":
			dir = Response
		default:
			return "", n, fmt.Errorf("transcript line %d: unknown direction %q", n+1, e.Direction)
		}
		frame, err := hex.DecodeString(e.Frame)
		if err != nil {
			return "", n, fmt.Errorf("transcript line %d: frame: %w", n+1, err)
		}
		chain = next(chain, dir, frame)
		if e.Chain != hex.EncodeToString(chain[:]) {
			return "", n, fmt.Errorf("%w at line %d", ErrBroken, n+1)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return "", n, err
	}
	return "sha256:" + hex.EncodeToString(chain[:]), n, nil
}
