package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Version is the version of the report format. A minor version only adds
// optional fields and values, so a reader of 1.1 reads 1.0 reports.
const Version = "1.1.0"

// Scenario and requirement outcomes.
const (
	Passed    = "passed"
	Failed    = "failed"
	Skipped   = "skipped"    // deselected by the run's options (e.g. destructive without --allow-destructive)
	NotTested = "not-tested" // the device does not claim it, or it needs a control channel the run lacks
	// Incomplete is a run result: nothing failed, but a claimed and
	// selected profile had no scenario that ran (all needed a control
	// channel, two partition endpoints or --allow-destructive), so the
	// run cannot say the device conforms to it.
	Incomplete = "incomplete"
)

// Report is conformance-report.json.
type Report struct {
	ReportVersion  string          `json:"report_version"`
	Suite          Suite           `json:"suite"`
	Implementation Implementation  `json:"implementation"`
	Target         string          `json:"target"`
	Control        bool            `json:"control"`     // a control endpoint was available
	Seed           int64           `json:"seed"`        // random order seed of the parallel pass
	SerialSeed     int64           `json:"serial_seed"` // random order seed of the pass of @serial and @destructive scenarios
	Started        time.Time       `json:"started"`
	Finished       time.Time       `json:"finished"`
	Result         string          `json:"result"` // passed, failed or incomplete
	Profiles       []ProfileResult `json:"profiles"`
	Requirements   []Requirement   `json:"requirements"`
	Scenarios      []Scenario      `json:"scenarios"`
	Vectors        []VectorTally   `json:"vectors"`
	Transcript     Transcript      `json:"transcript"`
	Problems       []string        `json:"problems,omitempty"` // run-level failures (implementation claims, capability mismatch)
}

// Suite identifies exactly what was run.
type Suite struct {
	Name           string `json:"name"`
	Version        string `json:"version"` // the suite's build (module version and VCS revision)
	SpecVersion    string `json:"spec_version"`
	APIRevision    string `json:"api_revision"`
	SpecDigest     string `json:"spec_digest"`     // sha256 over the spec files
	FeaturesDigest string `json:"features_digest"` // sha256 over the feature files
	// StepsDigest is the sha256 over the step vocabulary (every step's
	// regular expression, in definition order).
	StepsDigest string `json:"steps_digest,omitempty"`
	// BinaryDigest is the sha256 of the executable that ran the suite.
	BinaryDigest string `json:"binary_digest,omitempty"`
	// Digest is the sha256 over the features, steps and binary digests:
	// one value naming exactly which suite ran.
	Digest string `json:"digest,omitempty"`
}

// Implementation is the vendor's declaration (implementation.yaml) as checked
// against the device.
type Implementation struct {
	Vendor          string   `json:"vendor"`
	Product         string   `json:"product"`
	FirmwareVersion string   `json:"firmware_version"`
	Profiles        []string `json:"profiles"`
	Features        []string `json:"features"`
	// FirmwareMeasurement is "sha384:" and the hex firmware measurement
	// of a device attestation verified against the device's certificate
	// chain during the run; empty when the device does not attest.
	FirmwareMeasurement string `json:"firmware_measurement,omitempty"`
}

// ProfileResult tallies the scenarios of one profile.
type ProfileResult struct {
	Name    string `json:"name"`
	Claimed bool   `json:"claimed"`
	Result  string `json:"result"` // passed, failed or not-tested
	// Reason says why a profile did not pass: not claimed, not selected,
	// rejected by the implementation check, or why none of its scenarios
	// ran.
	Reason    string `json:"reason,omitempty"`
	Passed    int    `json:"passed"`
	Failed    int    `json:"failed"`
	Skipped   int    `json:"skipped"`
	NotTested int    `json:"not_tested"`
}

// Requirement is the verdict on one requirement of the spec.
type Requirement struct {
	ID        string   `json:"id"`
	Level     string   `json:"level"`
	Profile   string   `json:"profile"`
	Tested    string   `json:"tested"` // wire, control or review
	Status    string   `json:"status"`
	Scenarios []string `json:"scenarios"`
	Reason    string   `json:"reason,omitempty"`
}

// Scenario is the outcome of one scenario.
type Scenario struct {
	ID           string   `json:"id"` // feature file and line
	Name         string   `json:"name"`
	Feature      string   `json:"feature"`
	Tags         []string `json:"tags"`
	Requirements []string `json:"requirements"`
	Profile      string   `json:"profile"`
	Status       string   `json:"status"`
	DurationMS   float64  `json:"duration_ms"`
	Message      string   `json:"message,omitempty"`
}

// VectorTally counts the known-answer and negative vectors of one file run
// through the device.
type VectorTally struct {
	Source  string `json:"source"`           // e.g. wycheproof/ecdsa_secp256r1_sha256_test.json
	Family  string `json:"family,omitempty"` // e.g. ECDSA, AES-GCM
	Total   int    `json:"total"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"` // vectors the device does not claim or the API cannot express
	// Notes give the reasons for the skipped vectors, with their counts.
	Notes []string `json:"notes,omitempty"`
	// Failures name each failing vector ("tcId 17: invalid tag decrypted").
	Failures []string `json:"failures,omitempty"`
}

// Transcript points at the hash-chained frame transcript.
type Transcript struct {
	File   string `json:"file"`
	Digest string `json:"digest"`
	Frames int    `json:"frames"`
}

// SchemaJSON is the JSON Schema of conformance-report.json.
//
//go:embed schema/conformance-report.schema.json
var SchemaJSON []byte

// Validate checks an encoded report against the schema.
func Validate(data []byte) error {
	return validate("conformance report", "conformance-report.schema.json", SchemaJSON, data)
}

// CucumberSchemaJSON is the JSON Schema of cucumber.json, the Cucumber
// JSON report godog writes.
//
//go:embed schema/cucumber.schema.json
var CucumberSchemaJSON []byte

// ValidateCucumber checks a Cucumber JSON report (an array of features)
// against [CucumberSchemaJSON].
func ValidateCucumber(data []byte) error {
	return validate("cucumber report", "cucumber.schema.json", CucumberSchemaJSON, data)
}

// validate checks a JSON document against one of the embedded schemas;
// what names the document in the error.
func validate(what, name string, schema, data []byte) error {
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, bytes.NewReader(schema)); err != nil {
		return err
	}
	s, err := c.Compile(name)
	if err != nil {
		return err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: data after the JSON value", what)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ProfileClaim is what a run knows of a profile before its scenarios run.
type ProfileClaim struct {
	Claimed bool // the implementation claims it
	// Selected is set when its scenarios ran: claimed, accepted by the
	// implementation check and selected by the run's options.
	Selected bool
	// Rejected is why the implementation check refused a claimed profile
	// (a mandatory feature missing); the profile fails.
	Rejected string
}

// Finalize computes the requirement and profile verdicts and the overall
// result from the scenarios. reqs lists every requirement of the spec (a
// Reason given for an uncovered one is kept); profiles has every profile
// of the spec.
//
// A claimed, selected profile passes when some of its scenarios passed and
// none failed. One whose scenarios all went untested (they needed a
// control channel, two endpoints or --allow-destructive) is not-tested
// with the reason, and the run is incomplete rather than passed. One the
// bundle has no scenario for at all fails: the suite cannot test it.
func (r *Report) Finalize(reqs []Requirement, profiles map[string]ProfileClaim) {
	byReq := map[string][]Scenario{}
	for _, s := range r.Scenarios {
		for _, id := range s.Requirements {
			byReq[id] = append(byReq[id], s)
		}
	}
	r.Requirements = r.Requirements[:0]
	for _, q := range reqs {
		q.Scenarios = nil
		var st []string
		for _, s := range byReq[q.ID] {
			q.Scenarios = append(q.Scenarios, s.ID)
			st = append(st, s.Status)
		}
		q.Status = combine(st)
		switch {
		case len(st) == 0 && q.Reason == "" && q.Tested == "review":
			q.Reason = "checked by review only"
		case len(st) == 0 && q.Reason == "":
			q.Reason = "no scenario checks this requirement"
		case len(st) == 0:
			// The reason given (features/uncovered.yaml) stays.
		case q.Status == NotTested:
			q.Reason = byReq[q.ID][0].Message
		default:
			q.Reason = ""
		}
		r.Requirements = append(r.Requirements, q)
	}
	sort.Slice(r.Requirements, func(i, j int) bool { return r.Requirements[i].ID < r.Requirements[j].ID })

	prof := map[string]*ProfileResult{}
	untested := map[string]map[string]int{}
	for name, c := range profiles {
		prof[name] = &ProfileResult{Name: name, Claimed: c.Claimed}
	}
	for _, s := range r.Scenarios {
		p := prof[s.Profile]
		if p == nil {
			p = &ProfileResult{Name: s.Profile}
			prof[s.Profile] = p
		}
		switch s.Status {
		case Passed:
			p.Passed++
		case Failed:
			p.Failed++
		case Skipped:
			p.Skipped++
		default:
			p.NotTested++
		}
		if s.Status == Skipped || s.Status == NotTested {
			if untested[s.Profile] == nil {
				untested[s.Profile] = map[string]int{}
			}
			why, _, _ := strings.Cut(s.Message, ": ")
			untested[s.Profile][why]++
		}
	}
	r.Profiles = r.Profiles[:0]
	failed := len(r.Problems) > 0
	incomplete := false
	for name, p := range prof {
		c := profiles[name]
		switch {
		case p.Failed > 0:
			p.Result = Failed
			failed = true
		case c.Rejected != "":
			p.Result, p.Reason = Failed, "rejected: "+c.Rejected
			failed = true
		case !c.Claimed:
			p.Result, p.Reason = NotTested, "not claimed"
		case !c.Selected:
			p.Result, p.Reason = NotTested, "not selected"
		case p.Passed > 0:
			p.Result = Passed
		case p.Skipped+p.NotTested == 0:
			p.Result, p.Reason = Failed, "the feature bundle has no scenario for this profile"
			failed = true
		default:
			p.Result, p.Reason = NotTested, "no scenario ran: "+why(untested[name])
			incomplete = true
		}
		r.Profiles = append(r.Profiles, *p)
	}
	sort.Slice(r.Profiles, func(i, j int) bool { return r.Profiles[i].Name < r.Profiles[j].Name })
	for _, v := range r.Vectors {
		if v.Failed > 0 {
			failed = true
		}
	}
	switch {
	case failed:
		r.Result = Failed
	case incomplete:
		r.Result = Incomplete
	default:
		r.Result = Passed
	}
}

// why summarises the reasons scenarios were not run, most frequent first.
func why(counts map[string]int) string {
	type kv struct {
		why string
		n   int
	}
	var l []kv
	for w, n := range counts {
		l = append(l, kv{w, n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].why < l[j].why
	})
	var parts []string
	for _, x := range l {
		parts = append(parts, fmt.Sprintf("%d %s", x.n, x.why))
	}
	return strings.Join(parts, "; ")
}

// combine folds scenario outcomes into a requirement outcome: any failure
// fails it; otherwise it passes if some scenario passed.
func combine(st []string) string {
	out := NotTested
	for _, s := range st {
		switch s {
		case Failed:
			return Failed
		case Passed:
			out = Passed
		}
	}
	return out
}
