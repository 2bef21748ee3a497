package clienttest

import (
	"context"
	"testing"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/wire"
)

// BenchmarkOverhead measures what the protocol adds to an operation: an
// HMAC-SHA256 of 32 bytes (about a microsecond of crypto) sent through a
// session, in process and over a Unix socket, with its allocations.
func BenchmarkOverhead(b *testing.B) {
	h := startHSM(b)
	ep, err := h.dev.Partition(0)
	if err != nil {
		b.Fatal(err)
	}
	inproc := client.New(inProcess(ep))
	if _, err := inproc.EstablishCredential(context.Background(), testPIN); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, c *client.Client) {
		s := session(b, c)
		key := generateB(b, s, wire.KeyKindHmacSha256)
		req := &wire.HmacRequest{KeyHandle: key, Message: digest[:]}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Hmac(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("inproc", func(b *testing.B) { run(b, inproc) })
	b.Run("unix", func(b *testing.B) { run(b, dial(b, h.target)) })
}
