package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestManySessions runs 4 partitions × 8 sessions in parallel over the Unix
// sockets, all sessions of a partition sharing one pipelined connection,
// and checks every answer (run with -race).
func TestManySessions(t *testing.T) {
	const parts, sessions, ops = 4, 8, 20
	d := newDevice(t, parts)
	s, _, _ := start(t, Config{Device: d})
	ctx := context.Background()
	pin := []byte("many-sessions-pin")
	var wg sync.WaitGroup
	for p := range parts {
		tr, err := transport.Dial(ctx, s.Endpoints()[p].Target())
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		c := client.New(tr)
		if _, err := c.EstablishCredential(ctx, pin); err != nil {
			t.Fatal(err)
		}
		for i := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess, err := c.OpenSession(ctx, pin)
				if err != nil {
					t.Error(err)
					return
				}
				defer sess.Close(ctx)
				g, err := sess.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign | wire.KeyUsageVerify})
				if err != nil {
					t.Error(err)
					return
				}
				for j := range ops {
					dg := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d", p, i, j))
					sig, err := sess.Sign(ctx, &wire.SignRequest{KeyHandle: g.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: dg[:]})
					if err != nil {
						t.Error(err)
						return
					}
					if err := sess.Verify(ctx, &wire.VerifyRequest{KeyHandle: g.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: dg[:], Signature: sig.Signature}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
}
