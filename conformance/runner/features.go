package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
)

// Pickle is one runnable scenario (an outline expands to one per example
// row), as the runner sees it before running.
type Pickle struct {
	URI  string
	Line int
	Name string
	Tags []string
	// Description is the scenario's description: for a @not-mechanical
	// scenario, why the suite cannot produce its condition.
	Description string
}

// Key identifies a pickle across parses: lint guarantees names are unique
// within a feature file.
func (p Pickle) Key() string { return p.URI + "::" + p.Name }

// ID is the feature file and line.
func (p Pickle) ID() string { return fmt.Sprintf("%s:%d", p.URI, p.Line) }

// HasTag reports whether the pickle carries tag (with its @).
func (p Pickle) HasTag(t string) bool { return slices.Contains(p.Tags, t) }

// ParseFeatures parses every .feature file of fsys and returns the pickles
// in file order, and the digest of the feature bundle (sha256 over the
// sorted file names and contents).
func ParseFeatures(fsys fs.FS) ([]Pickle, string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".feature") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	sort.Strings(files)
	h := sha256.New()
	var out []Pickle
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
		ps, err := parseFeature(path.Clean(f), data)
		if err != nil {
			return nil, "", err
		}
		out = append(out, ps...)
	}
	return out, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func parseFeature(uri string, data []byte) ([]Pickle, error) {
	ids := &messages.Incrementing{}
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), ids.NewId)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", uri, err)
	}
	if doc.Feature == nil {
		return nil, nil
	}
	lines := map[string]int{}
	descs := map[string]string{}
	var walk func(children []*messages.FeatureChild)
	addScenario := func(sc *messages.Scenario) {
		lines[sc.Id] = int(sc.Location.Line)
		descs[sc.Id] = strings.Join(strings.Fields(sc.Description), " ")
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				lines[row.Id] = int(row.Location.Line)
			}
		}
	}
	walk = func(children []*messages.FeatureChild) {
		for _, c := range children {
			if c.Scenario != nil {
				addScenario(c.Scenario)
			}
			if c.Rule != nil {
				for _, rc := range c.Rule.Children {
					if rc.Scenario != nil {
						addScenario(rc.Scenario)
					}
				}
			}
		}
	}
	walk(doc.Feature.Children)
	var out []Pickle
	for _, p := range gherkin.Pickles(*doc, uri, ids.NewId) {
		line := 0
		for _, id := range p.AstNodeIds {
			if l, ok := lines[id]; ok {
				line = l // the last one is the example row for an outline
			}
		}
		tags := make([]string, 0, len(p.Tags))
		for _, t := range p.Tags {
			tags = append(tags, t.Name)
		}
		desc := ""
		if len(p.AstNodeIds) > 0 {
			desc = descs[p.AstNodeIds[0]]
		}
		out = append(out, Pickle{URI: uri, Line: line, Name: p.Name, Tags: tags, Description: desc})
	}
	return out, nil
}

// expr is a Behat tag expression in conjunctive normal form, the only
// syntax godog v0.15 understands: clauses joined by &&, each clause a
// comma-separated OR of tags, ~ negating one tag. The runner builds it and
// evaluates it itself too, so it knows how many scenarios godog must run.
type expr [][]string

func (e expr) String() string {
	parts := make([]string, len(e))
	for i, c := range e {
		parts[i] = strings.Join(c, ",")
	}
	return strings.Join(parts, "&&")
}

func (e expr) match(tags []string) bool {
	for _, clause := range e {
		ok := false
		for _, t := range clause {
			if strings.HasPrefix(t, "~") {
				ok = ok || !slices.Contains(tags, t[1:])
			} else {
				ok = ok || slices.Contains(tags, t)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
