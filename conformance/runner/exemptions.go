package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"

	"gopkg.in/yaml.v3"
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
