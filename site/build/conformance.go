package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/spec/diff"
	"github.com/openihsm/openihsm/spec/model"
)

// ReportFile is the name of the report in a conformance output directory
// (ihsm conform --out DIR).
const ReportFile = "conformance-report.json"

// Conformance is one conformance run as the site shows it.
type Conformance struct {
	Report report.Report
}

// LoadConformance reads DIR/conformance-report.json, checks it against the
// report's JSON Schema and decodes it.
func LoadConformance(dir string) (*Conformance, error) {
	b, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("site: %s holds no %s", dir, ReportFile)
	}
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	return ParseConformance(b)
}

// ParseConformance checks an encoded conformance report against its schema
// and decodes it.
func ParseConformance(b []byte) (*Conformance, error) {
	if err := report.Validate(b); err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	var c Conformance
	if err := json.Unmarshal(b, &c.Report); err != nil {
		return nil, fmt.Errorf("site: conformance report: %w", err)
	}
	return &c, nil
}

type tally struct {
	Passed, Failed, Skipped, NotTested, Total int
	DurationMS                                float64
}

func (t *tally) add(status string, ms float64) {
	t.Total++
	t.DurationMS += ms
	switch status {
	case report.Passed:
		t.Passed++
	case report.Failed:
		t.Failed++
	case report.Skipped:
		t.Skipped++
	default:
		t.NotTested++
	}
}

type profileRow struct {
	report.ProfileResult
	Total      int
	DurationMS float64
}

type reqRow struct {
	report.Requirement
	Area       string
	DurationMS float64
	Refs       []scenarioRef
	Known      bool // the spec has this requirement
}

type areaRow struct {
	Area string
	tally
}

type scenarioRow struct {
	report.Scenario
	Anchor string
}

type conformanceView struct {
	C          *Conformance
	DurationS  string
	Profiles   []profileRow
	Reqs       []reqRow
	ReqTally   tally
	Coverage   []areaRow
	Scenarios  []scenarioRow
	ScenTally  tally
	VecTotal   report.VectorTally
	SpecMatch  bool // the run was against this site's spec version
	SpecOfSite string
}

func (s *site) conformance() *conformanceView {
	c := s.in.Conformance
	if c == nil {
		return nil
	}
	r := c.Report
	v := &conformanceView{C: c, SpecOfSite: s.spec.Meta.Version, SpecMatch: r.Suite.SpecVersion == s.spec.Meta.Version}
	if !r.Started.IsZero() && !r.Finished.IsZero() {
		v.DurationS = fmt.Sprintf("%.2f s", r.Finished.Sub(r.Started).Seconds())
	}
	scen := map[string]report.Scenario{}
	byProfile := map[string]float64{}
	for _, sc := range r.Scenarios {
		scen[sc.ID] = sc
		byProfile[sc.Profile] += sc.DurationMS
		v.ScenTally.add(sc.Status, sc.DurationMS)
		v.Scenarios = append(v.Scenarios, scenarioRow{Scenario: sc, Anchor: "sc-" + anchor(sc.ID)})
	}
	for _, p := range r.Profiles {
		v.Profiles = append(v.Profiles, profileRow{ProfileResult: p, Total: p.Passed + p.Failed + p.Skipped + p.NotTested, DurationMS: byProfile[p.Name]})
	}
	areas := map[string]*tally{}
	for _, q := range r.Requirements {
		row := reqRow{Requirement: q, Refs: s.results[q.ID].Scenarios}
		if sr := s.spec.Requirement(q.ID); sr != nil {
			row.Area, row.Known = sr.Area, true
		} else if parts := strings.Split(q.ID, "-"); len(parts) == 3 {
			row.Area = parts[1]
		}
		for _, id := range q.Scenarios {
			row.DurationMS += scen[id].DurationMS
		}
		v.ReqTally.add(q.Status, row.DurationMS)
		if areas[row.Area] == nil {
			areas[row.Area] = &tally{}
		}
		areas[row.Area].add(q.Status, row.DurationMS)
		v.Reqs = append(v.Reqs, row)
	}
	names := make([]string, 0, len(areas))
	for a := range areas {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		v.Coverage = append(v.Coverage, areaRow{Area: a, tally: *areas[a]})
	}
	for _, t := range r.Vectors {
		v.VecTotal.Total += t.Total
		v.VecTotal.Passed += t.Passed
		v.VecTotal.Failed += t.Failed
		v.VecTotal.Skipped += t.Skipped
	}
	return v
}

// --- changelog ---

type changeRow struct {
	Class, Where, Message, Location string
}

type changelogView struct {
	First      bool
	Source     string // where the previous version came from, or why there is none
	Version    string
	Revision   string
	Report     *diff.Report
	Verdict    string
	Breaking   int
	Additive   int
	Editorial  int
	Changes    []changeRow
	Violations []changeRow
}

func (s *site) changelog() changelogView {
	m := s.spec.Meta
	v := changelogView{Version: m.Version, Revision: s.info.APIRevision, Source: s.in.PreviousName}
	if s.in.Previous == nil {
		v.First = true
		return v
	}
	r := diff.Diff(s.in.Previous, s.spec)
	v.Report = &r
	v.Verdict = r.Verdict()
	v.Breaking, v.Additive, v.Editorial = r.Count(diff.Breaking), r.Count(diff.Additive), r.Count(diff.Editorial)
	for _, c := range r.Changes {
		loc := place(c.Pos)
		if c.Removed {
			loc = "previous " + loc
		}
		v.Changes = append(v.Changes, changeRow{Class: c.Class.String(), Where: c.Where, Message: c.Message, Location: loc})
	}
	for _, x := range r.Violations {
		v.Violations = append(v.Violations, changeRow{Class: x.Rule, Message: x.Message, Location: place(x.Pos)})
	}
	return v
}

func place(p model.Pos) string {
	switch {
	case p.File == "":
		return "spec"
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}
