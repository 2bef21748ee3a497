package driver

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/openihsm/openihsm/spec/wire"
)

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets(" unix:///a.sock, tcp://127.0.0.1:7,exec:./adapter --x ")
	if err != nil || len(got) != 3 || got[2] != "exec:./adapter --x" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bad := range []string{"", " , ", "http://x", "/run/hsm.sock"} {
		if _, err := ParseTargets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRemoteControlMessages checks the bytes of every control operation
// against the protocol of docs/vendor.md: a frame holding the map {1: op,
// 2: self-test name, 4: clock step in nanoseconds, negative to go back},
// and that an answer {1: false, 2: why} is an error carrying the reason.
func TestRemoteControlMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type req struct {
		Op    string `cbor:"1,keyasint"`
		Name  string `cbor:"2,keyasint,omitempty"`
		Delta int64  `cbor:"4,keyasint,omitempty"`
	}
	got := make(chan req, 16)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		dec, _ := cbor.DecOptions{ExtraReturnErrors: cbor.ExtraDecErrorUnknownField}.DecMode()
		enc, _ := cbor.CoreDetEncOptions().EncMode()
		for {
			msg, err := wire.ReadFrame(r, maxControlMessage)
			if err != nil {
				return
			}
			var q req
			answer := map[int]any{1: true, 3: uint32(1), 4: int64(0)}
			if err := dec.Unmarshal(msg, &q); err != nil {
				answer = map[int]any{1: false, 2: err.Error()}
			} else if again, _ := enc.Marshal(q); string(again) != string(msg) {
				answer = map[int]any{1: false, 2: "not deterministic CBOR"}
			}
			if q.Op == "migrate" {
				answer = map[int]any{1: false, 2: "no migration on this bench"}
			}
			got <- q
			b, _ := enc.Marshal(answer)
			if wire.WriteFrame(c, b) != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	c, err := DialControl(ctx, "unix://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	steps := []struct {
		do   func() error
		want req
	}{
		{func() error { return c.Reset(ctx) }, req{Op: "reset"}},
		{func() error { return c.PowerCycle(ctx) }, req{Op: "power-cycle"}},
		{func() error { return c.Tamper(ctx) }, req{Op: "tamper"}},
		{func() error { return c.ZeroizeAll(ctx) }, req{Op: "zeroize-all"}},
		{func() error { return c.AdvanceClock(ctx, 1500*time.Millisecond) }, req{Op: "advance-clock", Delta: 1_500_000_000}},
		{func() error { return c.AdvanceClock(ctx, -time.Second) }, req{Op: "advance-clock", Delta: -1_000_000_000}},
		{func() error { return c.FailSelfTest(ctx, "KAT-SHA2") }, req{Op: "fail-self-test", Name: "KAT-SHA2"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Errorf("%s: %v", s.want.Op, err)
		}
		if q := <-got; q != s.want {
			t.Errorf("sent %+v, want %+v", q, s.want)
		}
	}
	err = c.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "no migration on this bench") {
		t.Errorf("a refused operation: %v", err)
	}
	if _, err := DialControl(ctx, "http://x"); err == nil {
		t.Error("a control URL of another scheme was accepted")
	}
}
