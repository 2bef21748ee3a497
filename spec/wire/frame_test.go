package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, p := range [][]byte{{}, {0xa0}, bytes.Repeat([]byte{7}, MaxFrame)} {
		if err := WriteFrame(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int{0, 1, MaxFrame} {
		p, err := ReadFrame(&buf, MaxFrame)
		if err != nil || len(p) != want {
			t.Fatalf("ReadFrame = %d bytes, %v; want %d", len(p), err, want)
		}
	}
	if _, err := ReadFrame(&buf, MaxFrame); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestFrameTooLarge(t *testing.T) {
	frame := AppendFrame(nil, make([]byte, 100))
	r := &countingReader{r: bytes.NewReader(frame)}
	p, err := ReadFrame(r, 99)
	if !errors.Is(err, rc.FrameTooLarge) || p != nil {
		t.Fatalf("ReadFrame = %v, %v; want nil, FrameTooLarge", p, err)
	}
	if r.n != lengthPrefix {
		t.Fatalf("read %d bytes, want only the %d-byte prefix", r.n, lengthPrefix)
	}
	if err := WriteFrame(io.Discard, make([]byte, MaxFrame+1)); !errors.Is(err, rc.FrameTooLarge) {
		t.Fatalf("WriteFrame over MaxFrame: %v", err)
	}
}

func TestFrameTruncated(t *testing.T) {
	for _, b := range [][]byte{{0, 0}, {0, 0, 0, 5, 1, 2}} {
		if _, err := ReadFrame(bytes.NewReader(b), MaxFrame); err != io.ErrUnexpectedEOF {
			t.Errorf("ReadFrame(%x) = %v, want io.ErrUnexpectedEOF", b, err)
		}
	}
}
