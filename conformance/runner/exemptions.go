package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/spec/model"
)

// ExemptionsFile is the name of the exemption list in a feature bundle:
// the MUST requirements no scenario checks yet, each with the reason. The
// features lint (package conformance/lint) keeps it true; a run copies
// the reasons into the report's requirement rows.
const ExemptionsFile = "uncovered.yaml"

// Exemption is one entry of uncovered.yaml: a MUST requirement no
// scenario checks yet, and why.
type Exemption struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
	Line   int    `yaml:"-"`
}

// LineError is a problem of uncovered.yaml at a line.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", ExemptionsFile, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// LoadExemptions reads uncovered.yaml from a bundle; a bundle without one
// has no exemptions. A malformed file is a *LineError.
func LoadExemptions(fsys fs.FS) ([]Exemption, error) {
	data, err := fs.ReadFile(fsys, ExemptionsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var file struct {
		Uncovered []yaml.Node `yaml:"uncovered"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		return nil, &LineError{line, err}
	}
	var out []Exemption
	for _, n := range file.Uncovered {
		var e Exemption
		if err := n.Decode(&e); err != nil {
			return nil, &LineError{n.Line, err}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "id" && k != "reason" {
				return nil, &LineError{n.Content[i].Line, fmt.Errorf("unknown field %q (an entry has id and reason)", k)}
			}
		}
		e.Line = n.Line
		out = append(out, e)
	}
	return out, nil
}

// yamlLine finds the line of a YAML error, "line 12".
var yamlLine = regexp.MustCompile(`line (\d+)`)

// Shortfalls lists what keeps a report from being a complete pass: a
// scenario that failed, was skipped or was not tested (other than a
// @not-mechanical one, whose condition no client can produce), a run
// problem, and a MUST requirement tested by wire or control that did not
// pass and is not exempted. The reference HSM must have none.
func Shortfalls(r *report.Report, exempt []Exemption) []string {
	var out []string
	for _, s := range r.Scenarios {
		if s.Status == report.Passed || s.Status == report.NotTested && slices.Contains(s.Tags, TagNotMechanical) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s: %s: %s", s.ID, s.Name, s.Status, s.Message))
	}
	for _, p := range r.Problems {
		out = append(out, "problem: "+p)
	}
	ex := map[string]bool{}
	for _, e := range exempt {
		ex[e.ID] = true
	}
	for _, q := range r.Requirements {
		if q.Level == model.LevelMust && (q.Tested == model.TestedByWire || q.Tested == model.TestedByControl) && !ex[q.ID] && q.Status != report.Passed {
			out = append(out, fmt.Sprintf("requirement %s: %s (%s)", q.ID, q.Status, q.Reason))
		}
	}
	if r.Result != report.Passed {
		out = append(out, "result: "+r.Result)
	}
	return out
}
