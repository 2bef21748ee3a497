package release

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
)

// Files WriteVerification writes into the verification directory.
const (
	VerificationDir = "verification"
	ReportFile      = "report.txt"
	ChecksFile      = "checks.json"
	VSAFile         = "vsa.intoto.json" // unsigned VSA Statement
	VSAEnvelope     = "vsa.dsse.json"   // VSA signed in a DSSE envelope
)

// ChecksVersion is the format of checks.json this package writes.
const ChecksVersion = 1

// Checks is checks.json: the verifier's outcome, link by link, for tools
// (the documentation site) that show it.
type Checks struct {
	Version      int           `json:"version"`
	Verifier     string        `json:"verifier"`
	TimeVerified time.Time     `json:"time_verified"`
	Result       string        `json:"result"` // PASSED or FAILED
	Subject      *File         `json:"subject,omitempty"`
	SourceCommit string        `json:"source_commit,omitempty"`
	Policy       string        `json:"policy"`
	Checks       []Check       `json:"checks"`
	Failure      *Failure      `json:"failure,omitempty"`
	Device       *DeviceChecks `json:"device,omitempty"`
}

// Failure is the first link that did not hold.
type Failure struct {
	Link  string `json:"link"`
	Chain string `json:"chain"`
	Error string `json:"error"`
}

// DeviceChecks is what the device attested, for checks.json.
type DeviceChecks struct {
	Target          string `json:"target"`
	FirmwareVersion string `json:"firmware_version"`
	Measurement     string `json:"firmware_measurement"` // sha384:<hex>
	DeviceState     string `json:"device_state"`
	RootPinned      bool   `json:"root_pinned"`
	RootSubject     string `json:"root_subject"`
}

// chainOf names the chain link of a link named by the verifier.
func chainOf(link string) string {
	for _, p := range []struct{ prefix, chain string }{
		{"manifest", ChainSubject}, {"file", ChainSubject}, {"attestation", ChainSubject}, {"required predicate", ChainSubject},
		{"provenance", ChainProvenance}, {"source of", ChainProvenance},
		{"sbom", ChainSBOM},
		{"test", ChainTests},
		{"reproducible build", ChainReproducible},
		{"link", ChainBuildLink},
		{"short-form report", ChainSFR},
		{"device", ChainDevice},
	} {
		if strings.HasPrefix(link, p.prefix) {
			return p.chain
		}
	}
	return ""
}

// NewChecks summarises a verification (verr is nil or what Verify or
// VerifyDevice returned) as checks.json.
func NewChecks(s *Summary, t *Trust, verr error, now time.Time) *Checks {
	c := &Checks{Version: ChecksVersion, Verifier: VerifierID, TimeVerified: now.UTC(), Result: intoto.Passed,
		SourceCommit: s.SourceCommit, Policy: t.source, Checks: append([]Check{}, s.Checks...)}
	if s.Subject.Path != "" {
		sub := s.Subject
		c.Subject = &sub
	}
	if verr != nil {
		c.Result = intoto.Failed
		f := &Failure{Error: verr.Error()}
		var le *LinkError
		if errors.As(verr, &le) {
			f.Link, f.Chain, f.Error = le.Link, chainOf(le.Link), le.Err.Error()
		}
		c.Failure = f
	}
	if d := s.Device; d != nil {
		c.Device = &DeviceChecks{Target: d.Target, FirmwareVersion: d.FirmwareVersion, Measurement: fmt.Sprintf("sha384:%x", d.Measurement),
			DeviceState: d.DeviceState, RootPinned: d.RootPinned, RootSubject: d.RootSubject}
	}
	return c
}

// WriteVerification writes the outcome of a verification into dir:
// report.txt, checks.json, the VSA (signed into vsa.dsse.json when key is
// not nil, else vsa.intoto.json) and what a device returned. It writes
// nothing when no manifest verified, since there is no subject to speak of.
func WriteVerification(ctx context.Context, dir string, s *Summary, t *Trust, verr error, key crypto.Signer, now time.Time) error {
	if len(s.Subject.Digest) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var report bytes.Buffer
	if err := WriteReport(&report, s, verr); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ReportFile), report.Bytes(), 0o644); err != nil {
		return err
	}
	checks, err := json.MarshalIndent(NewChecks(s, t, verr, now), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ChecksFile), append(checks, '\n'), 0o644); err != nil {
		return err
	}
	if err := WriteDeviceEvidence(dir, s.Device); err != nil {
		return err
	}
	st, err := VSA(s, t, verr, now)
	if err != nil {
		return err
	}
	if key == nil {
		data, err := intoto.Marshal(st)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, VSAFile), data, 0o644)
	}
	env, err := intoto.Sign(ctx, st, key)
	if err != nil {
		return err
	}
	data, err := dsse.Marshal(env)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, VSAEnvelope), data, 0o644)
}
