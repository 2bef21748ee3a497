package server

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/servetest"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestKill9Loop provisions a partition and creates keys while killing
// `ihsm serve` with SIGKILL at random moments, and checks after every
// restart that nothing it acknowledged was lost: the partition stays
// provisioned with the same PIN, the identity certificates are unchanged,
// and every masked key acknowledged before a kill still unmasks.
func TestKill9Loop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ihsm binary")
	}
	bin := servetest.Build(t, servetest.FirmwareTags)
	state := t.TempDir()
	sockets, err := os.MkdirTemp("", "ihsm-k9")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockets)
	ctx := context.Background()
	pin := []byte("kill-nine-pin")
	var chain [][]byte
	provisioned := false
	var acked [][]byte
	rounds := 8
	for round := range rounds {
		p := servetest.Start(t, bin, "--state", state, "--socket-dir", sockets, "--self-test-interval", "0")
		tr, err := transport.Dial(ctx, p.Target)
		if err != nil {
			t.Fatal(err)
		}
		c := client.New(tr)
		got, err := c.GetCertificateChain(ctx)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if chain == nil {
			chain = got
		} else if len(got) != len(chain) || !bytes.Equal(got[0], chain[0]) || !bytes.Equal(got[1], chain[1]) {
			t.Fatalf("round %d: the device identity changed across a kill", round)
		}
		info, err := c.GetDeviceInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if provisioned && info.PartitionState == wire.PartitionStateUnprovisioned {
			t.Fatalf("round %d: an acknowledged EstablishCredential was lost", round)
		}
		// A kill during EstablishCredential may or may not have provisioned
		// the partition; whichever it did, the PIN is ours.
		provisioned = provisioned || info.PartitionState != wire.PartitionStateUnprovisioned
		if provisioned {
			s, err := c.OpenSession(ctx, pin)
			if err != nil {
				t.Fatalf("round %d: OpenSession with the established PIN: %v", round, err)
			}
			for i, blob := range acked {
				if _, err := s.UnmaskKey(ctx, &wire.UnmaskKeyRequest{MaskedKey: blob}); err != nil && !errors.Is(err, rc.KeyTagExists) {
					t.Fatalf("round %d: acknowledged masked key %d: %v", round, i, err)
				}
			}
			s.Close(ctx)
		}
		// Work until killed: provisioning first, then sessions and keys.
		var mu sync.Mutex
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			if !provisioned {
				if _, err := c.EstablishCredential(ctx, pin); err == nil {
					mu.Lock()
					provisioned = true
					mu.Unlock()
				} else {
					return
				}
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := c.OpenSession(ctx, pin)
				if err != nil {
					return
				}
				for range 5 {
					g, err := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign})
					if err != nil {
						return
					}
					mu.Lock()
					acked = append(acked, g.MaskedKey)
					mu.Unlock()
				}
				s.Close(ctx)
			}
		}()
		// Kill at a random moment of the work: after a random number of
		// acknowledged operations (0 to 5, provisioning counting as one),
		// then a random few milliseconds into whatever runs next. Counting
		// acknowledgements rather than time keeps the loop moving on a
		// loaded machine, where a PIN hash alone can outlast any fixed
		// window; the last round waits for at least one key if none has
		// been acknowledged yet.
		mu.Lock()
		wantProvisioned, base := provisioned, len(acked)
		mu.Unlock()
		acks := rand.IntN(6)
		if round == rounds-1 && base == 0 {
			acks = max(acks, 2)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			n := len(acked) - base
			if provisioned && !wantProvisioned {
				n++
			}
			mu.Unlock()
			if n >= acks {
				break
			}
			select {
			case <-done:
				t.Fatalf("round %d: the work stopped before it was killed:\n%s", round, p.Stderr())
			default:
			}
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.Cmd.Wait()
		close(stop)
		<-done
		tr.Close()
		if strings.Contains(p.Stderr(), "panic") {
			t.Fatalf("round %d: %s", round, p.Stderr())
		}
	}
	if !provisioned || len(acked) == 0 {
		t.Fatalf("the loop never got far: provisioned %v, %d keys", provisioned, len(acked))
	}
	t.Logf("%d rounds, %d acknowledged masked keys checked", rounds, len(acked))

	// A corrupted state directory is refused, never replaced.
	rec := filepath.Join(state, "partition-0")
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	os.WriteFile(rec, b, 0o600)
	out, err := exec.Command(bin, "serve", "--state", state, "--socket-dir", sockets).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing state directory") {
		t.Fatalf("corrupt state: %v\n%s", err, out)
	}
}
