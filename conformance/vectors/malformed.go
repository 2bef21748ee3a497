package vectors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/rc"
	specvectors "github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

// malformedSource names the spec's malformed-request vectors in the report.
const malformedSource = "spec/vectors/data/malformed.json"

// runMalformed sends each malformed request of spec/vectors on a raw
// connection of its own (a device may close the connection after a frame
// it cannot parse) and checks the status of the answer (spec: wire.yaml,
// decoding rules; IHSM-WIRE). The other files of spec/vectors are
// well-formed requests and responses under fixed keys: codec vectors,
// checked against spec/wire by its own tests, not device checks.
func runMalformed(ctx context.Context, o Options) []*tally {
	t := newTally(o, FamilyMalformed, malformedSource)
	all, err := specvectors.All()
	if err != nil {
		t.fail(0, "%v", err)
		return []*tally{t}
	}
	raw, ok := o.Driver.(driver.RawDialer)
	// The vectors have no tcId; a failure names the vector and its
	// position among the malformed requests.
	i := 0
	for _, v := range all {
		if !strings.HasPrefix(v.Name, "malformed/") || v.Direction != "request" {
			continue
		}
		i++
		if !ok {
			t.skipAll(1, "the driver opens no raw connection")
			continue
		}
		if !t.admit() {
			continue
		}
		want, known := rc.ByName(v.Expect)
		if !known {
			t.fail(i, "%s: unknown expected status %q", v.Name, v.Expect)
			continue
		}
		got, err := sendMalformed(ctx, raw, o, v)
		switch {
		case err != nil:
			t.fail(i, "%s: %v", v.Name, err)
		case got != want:
			t.fail(i, "%s: want %s, got %v", v.Name, want.Name(), got)
		default:
			t.pass()
		}
	}
	return []*tally{t}
}

func sendMalformed(ctx context.Context, raw driver.RawDialer, o Options, v specvectors.Vector) (rc.Code, error) {
	frame, err := v.Frame()
	if err != nil {
		return 0, err
	}
	c, err := raw.DialRaw(ctx, o.Partition)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if o.Recorder != nil {
		rec := frame
		if len(frame) > 4 {
			rec = frame[4:]
		}
		o.Recorder.Record(transcript.Request, scenario, rec)
	}
	if _, err := c.Write(frame); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	out, err := c.ReadFrame()
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", err)
	}
	if o.Recorder != nil {
		o.Recorder.Record(transcript.Response, scenario, out)
	}
	h, _, err := wire.DecodeResponse(out)
	if err != nil {
		return 0, fmt.Errorf("answer does not decode: %w", err)
	}
	return h.Status, nil
}
