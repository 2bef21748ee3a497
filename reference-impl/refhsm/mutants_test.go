//go:build ihsmfaults

package refhsm

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/spec"
)

// TestMutantsCaught runs the mutation loop on faults the hand-written
// features must catch; `make mutants` runs it over every fault.
func TestMutantsCaught(t *testing.T) {
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Mutants(context.Background(), MutantOptions{
		Base:   runner.Options{Spec: loadSpec(t), SpecDigest: digest, Features: handWritten(t), Concurrency: 2, SkipVectors: true},
		Faults: []device.Fault{device.FaultAcceptReplayedChannelMessage, device.FaultAcceptPlaintextInSession},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !m.Caught || len(m.Scenarios) == 0 || len(m.Requirements) == 0 {
			t.Errorf("fault %s not caught: %+v", m.Fault, m)
		}
	}
}

// handWritten is the feature bundle without features/generated: the
// faults above are the hand-written features' to catch, and the whole
// bundle runs in `make mutants`.
func handWritten(t *testing.T) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(features.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := fs.ReadFile(features.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: data}
	}
	return out
}
