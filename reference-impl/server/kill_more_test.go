package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/servetest"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
)

// killDuringStart starts `ihsm serve` and kills it with SIGKILL after
// delay, whether or not it got to "ready"; it reports whether it had.
func killDuringStart(t *testing.T, bin string, delay time.Duration, args ...string) (ready bool) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				mu.Lock()
				ready = true
				mu.Unlock()
			}
		}
	}()
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	<-done
	if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "refusing") {
		t.Fatalf("ihsm serve: %s", stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	return ready
}

// TestKill9FirstStart kills `ihsm serve` at random moments of its first
// start on a new state directory (fuse, identity, partitions, sentinel):
// every later start comes up, never refusing the state, and once a start
// has completed the identity never changes again.
func TestKill9FirstStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ihsm binary")
	}
	bin := servetest.Build(t, servetest.FirmwareTags)
	sockets, err := os.MkdirTemp("", "ihsm-k9f")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockets)
	ctx := context.Background()
	for round := range 6 {
		state := t.TempDir()
		args := []string{"--state", state, "--socket-dir", sockets, "--partitions", "2", "--self-test-interval", "0"}
		var chain [][]byte
		for kill := range 3 {
			completed := killDuringStart(t, bin, time.Duration(rand.IntN(400))*time.Millisecond, args...)
			p := servetest.Start(t, bin, args...)
			tr, err := transport.Dial(ctx, p.Target)
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.New(tr).GetCertificateChain(ctx)
			tr.Close()
			p.Cmd.Process.Signal(syscall.SIGKILL)
			p.Cmd.Wait()
			if err != nil {
				t.Fatalf("round %d, kill %d: %v", round, kill, err)
			}
			if chain != nil && !bytes.Equal(got[0], chain[0]) {
				t.Fatalf("round %d, kill %d (start completed: %v): the identity of a completed start changed", round, kill, completed)
			}
			chain = got
		}
	}
}

// TestKill9ChangePinAndLockout kills `ihsm serve` while it changes the PIN
// back and forth and while it counts wrong PINs: after every restart the
// PIN is the last acknowledged one (or the one being set when the kill
// came), and no acknowledged PIN failure is forgotten, so the lockout
// still comes after the fifth failure in a row.
func TestKill9ChangePinAndLockout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ihsm binary")
	}
	bin := servetest.Build(t, servetest.FirmwareTags)
	state := t.TempDir()
	sockets, err := os.MkdirTemp("", "ihsm-k9p")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockets)
	ctx := context.Background()
	pins := [2][]byte{[]byte("kill-nine-pin-a"), []byte("kill-nine-pin-b")}
	wrong := []byte("not-the-pin-at-all")
	var (
		mu       sync.Mutex
		cur      = 0     // index of the acknowledged PIN
		changing = false // a ChangePin to the other PIN may be in flight
		failures = 0     // acknowledged PinIncorrect answers since the last success
		inflight = false // a correct OpenSession may be in flight (it resets the counter)
		wrongOut = false // a wrong one may be in flight (it may have been counted)
	)
	provisioned := false
	changes, counted := 0, 0
	for round := range 10 {
		p := servetest.Start(t, bin, "--state", state, "--socket-dir", sockets, "--self-test-interval", "0")
		tr, err := transport.Dial(ctx, p.Target)
		if err != nil {
			t.Fatal(err)
		}
		c := client.New(tr)
		if !provisioned {
			if _, err := c.EstablishCredential(ctx, pins[0]); err != nil {
				t.Fatal(err)
			}
			provisioned = true
		}
		// The PIN: the acknowledged one, or the one a killed ChangePin
		// was setting.
		s, err := c.OpenSession(ctx, pins[cur])
		if errors.Is(err, rc.PinIncorrect) && changing {
			cur = 1 - cur
			s, err = c.OpenSession(ctx, pins[cur])
		}
		if err != nil {
			t.Fatalf("round %d: no PIN opens a session (acknowledged %q, change in flight %v): %v", round, pins[cur], changing, err)
		}
		s.Close(ctx)
		changing, failures, inflight, wrongOut = false, 0, false, false // a success resets the counter

		lockoutRound := round%2 == 1
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !lockoutRound {
					mu.Lock()
					from := cur
					changing = true
					mu.Unlock()
					s, err := c.OpenSession(ctx, pins[from])
					if err != nil {
						return
					}
					err = s.ChangePin(ctx, pins[from], pins[1-from])
					mu.Lock()
					if err == nil {
						cur, changing = 1-from, false
						changes++
					}
					mu.Unlock()
					if err != nil {
						return
					}
					s.Close(ctx)
					continue
				}
				// Up to four wrong PINs, then the right one.
				mu.Lock()
				n := failures
				mu.Unlock()
				if n < 4 {
					mu.Lock()
					wrongOut = true
					mu.Unlock()
					_, err := c.OpenSession(ctx, wrong)
					if !errors.Is(err, rc.PinIncorrect) {
						return
					}
					mu.Lock()
					failures++
					counted++
					wrongOut = false
					mu.Unlock()
					continue
				}
				mu.Lock()
				inflight = true
				mu.Unlock()
				s, err := c.OpenSession(ctx, pins[cur])
				if err != nil {
					return
				}
				mu.Lock()
				failures, inflight = 0, false
				mu.Unlock()
				s.Close(ctx)
			}
		}()
		if lockoutRound {
			time.Sleep(time.Duration(50+rand.IntN(300)) * time.Millisecond)
		} else {
			// A PIN change costs three PIN hashes.
			time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		}
		p.Cmd.Process.Signal(syscall.SIGKILL)
		p.Cmd.Wait()
		close(stop)
		<-done
		tr.Close()
		if strings.Contains(p.Stderr(), "panic") {
			t.Fatalf("round %d: %s", round, p.Stderr())
		}
		if !lockoutRound {
			continue
		}
		// The counter holds every acknowledged failure: failing the rest
		// of the five locks the partition.
		p = servetest.Start(t, bin, "--state", state, "--socket-dir", sockets, "--self-test-interval", "0")
		tr, err = transport.Dial(ctx, p.Target)
		if err != nil {
			t.Fatal(err)
		}
		c = client.New(tr)
		if !inflight {
			// Count the wrong PINs it takes to lock: 5 minus what the
			// device counted, which is every acknowledged failure, and
			// perhaps the one in flight at the kill.
			m := 0
			for {
				_, err := c.OpenSession(ctx, wrong)
				if errors.Is(err, rc.PinLockedOut) {
					break
				}
				if !errors.Is(err, rc.PinIncorrect) || m > 5 {
					t.Fatalf("round %d: wrong PIN %d: %v", round, m+1, err)
				}
				m++
			}
			if m > 5-failures || (!wrongOut && m != 5-failures) || m < 5-failures-1 {
				t.Fatalf("round %d: %d wrong PINs locked the partition after %d acknowledged failures (one in flight: %v): the counter was lost across a kill",
					round, m, failures, wrongOut)
			}
		}
		// Wait out the backoff (real time: the device clock is not moved).
		deadline := time.Now().Add(10 * time.Second)
		for {
			s, err := c.OpenSession(ctx, pins[cur])
			if err == nil {
				s.Close(ctx)
				break
			}
			if !errors.Is(err, rc.PinLockedOut) || time.Now().After(deadline) {
				t.Fatalf("round %d: after the backoff: %v", round, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		failures, inflight, wrongOut = 0, false, false
		tr.Close()
		p.Cmd.Process.Signal(syscall.SIGKILL)
		p.Cmd.Wait()
	}
	if changes == 0 || counted == 0 {
		t.Fatalf("the loop never got far: %d PIN changes, %d failures counted", changes, counted)
	}
	t.Logf("%d acknowledged PIN changes, %d acknowledged failures", changes, counted)
}
