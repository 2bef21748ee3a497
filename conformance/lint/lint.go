// Package lint checks a conformance feature bundle against the spec and
// the step vocabulary before anything runs, the way `ihsm spec lint`
// checks the spec: every problem names the file, the line and the rule.
//
// Rules:
//
//	parse                 a feature file that is not Gherkin
//	requirement-tag       a scenario without a requirement tag (@IHSM-AREA-NNN)
//	unknown-requirement   a requirement tag the spec does not define, or withdrew
//	profile-tag           a scenario without exactly one profile tag
//	unknown-tag           a tag that is neither a profile, a requirement nor a suite tag
//	duplicate-name        two scenarios of one file with the same name (results are matched by name)
//	outline-placeholder   a Scenario Outline whose steps use no <placeholder>
//	unused-column         an Examples column no placeholder of the outline uses
//	undefined-step        a step text no step definition of conformance/steps matches
//	not-mechanical        a @not-mechanical scenario with steps, or without the reason
//	empty-profile         a profile of the spec with no runnable scenario
//	uncovered-must        a MUST requirement tested by wire or control with no runnable scenario,
//	                      not listed in uncovered.yaml
//	exemption             an uncovered.yaml entry that is malformed, duplicated, names an unknown
//	                      id, has no reason, or is no longer needed
//
// A runnable scenario is one not tagged @not-mechanical.
package lint

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/conformance/steps"
	"github.com/openihsm/openihsm/spec/model"
)

// ExemptionsFile is the name of the exemption list in a feature bundle.
const ExemptionsFile = runner.ExemptionsFile

// Problem is one finding.
type Problem struct {
	File    string // relative to the bundle, or to the spec root for a requirement
	Line    int
	Rule    string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Rule, p.Message)
}

// Options say what to lint.
type Options struct {
	Spec     *model.Spec
	Features fs.FS // the bundle: *.feature files at any depth and, optionally, uncovered.yaml
	// Steps are the step definitions' regular expressions; nil is the
	// suite's vocabulary (steps.Patterns).
	Steps []string
}

// SuiteTags returns the tags the runner gives a meaning to, besides
// profiles and requirement ids.
func SuiteTags() []string {
	return []string{runner.TagSerial, runner.TagDestructive, runner.TagNeedsControl, runner.TagTwoPartitions, runner.TagNotMechanical}
}

// scenarioInfo is what the coverage rules need of one runnable pickle.
type scenarioInfo struct {
	file     string
	line     int
	profiles []string
	reqs     []string
}

// Lint checks the bundle and returns its problems, sorted by file and
// line. An error means the bundle could not be read at all.
func Lint(o Options) ([]Problem, error) {
	if o.Spec == nil || o.Features == nil {
		return nil, errors.New("lint: a spec and a feature bundle are required")
	}
	pats := o.Steps
	if pats == nil {
		pats = steps.Patterns()
	}
	var res []*regexp.Regexp
	for _, p := range pats {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("lint: step pattern %q: %w", p, err)
		}
		res = append(res, re)
	}
	l := &linter{o: o, steps: res, profiles: map[string]bool{}}
	for _, p := range o.Spec.Meta.Profiles {
		l.profiles[p.Name] = true
	}
	var files []string
	err := fs.WalkDir(o.Features, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".feature") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := fs.ReadFile(o.Features, f)
		if err != nil {
			return nil, err
		}
		l.file(path.Clean(f), data)
	}
	if err := l.coverage(); err != nil {
		return nil, err
	}
	sort.SliceStable(l.out, func(i, j int) bool {
		a, b := l.out[i], l.out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return l.out, nil
}

type linter struct {
	o         Options
	steps     []*regexp.Regexp
	profiles  map[string]bool
	out       []Problem
	scenarios []scenarioInfo
}

func (l *linter) add(file string, line int, rule, format string, args ...any) {
	l.out = append(l.out, Problem{File: file, Line: line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

var (
	placeholder = regexp.MustCompile(`<([^<>]+)>`)
	// parseLine finds the line of the first Gherkin parse error, "(12:3)".
	parseLine = regexp.MustCompile(`\((\d+):\d+\)`)
)

// file lints one feature file.
func (l *linter) file(uri string, data []byte) {
	ids := &messages.Incrementing{}
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), ids.NewId)
	if err != nil {
		line := 1
		if m := parseLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		l.add(uri, line, "parse", "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	if doc.Feature == nil {
		return
	}
	stepLine := map[string]int{}
	scenarios := map[string]*messages.Scenario{}
	addSteps := func(ss []*messages.Step) {
		for _, s := range ss {
			stepLine[s.Id] = int(s.Location.Line)
		}
	}
	var each func(children []*messages.FeatureChild)
	each = func(children []*messages.FeatureChild) {
		for _, c := range children {
			switch {
			case c.Background != nil:
				addSteps(c.Background.Steps)
			case c.Scenario != nil:
				scenarios[c.Scenario.Id] = c.Scenario
				addSteps(c.Scenario.Steps)
				l.outline(uri, c.Scenario)
			case c.Rule != nil:
				var rc []*messages.FeatureChild
				for _, r := range c.Rule.Children {
					rc = append(rc, &messages.FeatureChild{Background: r.Background, Scenario: r.Scenario})
				}
				each(rc)
			}
		}
	}
	each(doc.Feature.Children)
	names := map[string]int{}
	undefined := map[int]bool{} // one problem per step line, not per example row
	for _, p := range gherkin.Pickles(*doc, uri, ids.NewId) {
		sc := scenarios[p.AstNodeIds[0]]
		line := int(sc.Location.Line)
		var tags []string
		for _, t := range p.Tags {
			tags = append(tags, t.Name)
		}
		if prev, ok := names[p.Name]; ok && prev != line {
			l.add(uri, line, "duplicate-name", "scenario %q is also at line %d", p.Name, prev)
		} else if ok {
			l.add(uri, line, "duplicate-name", "two examples of the outline give the name %q (use a placeholder in the name)", p.Name)
		}
		names[p.Name] = line
		info := l.tags(uri, line, tags)
		notMech := slices.Contains(tags, runner.TagNotMechanical)
		if notMech {
			if len(sc.Steps) > 0 || strings.TrimSpace(sc.Description) == "" {
				l.add(uri, line, "not-mechanical", "a @not-mechanical scenario has no steps and a description giving the reason")
			}
		} else {
			info.file, info.line = uri, line
			l.scenarios = append(l.scenarios, info)
		}
		for _, st := range p.Steps {
			sl := stepLine[st.AstNodeIds[0]]
			if undefined[sl] || l.matches(st.Text) {
				continue
			}
			undefined[sl] = true
			l.add(uri, sl, "undefined-step", "no step definition matches %q", st.Text)
		}
	}
}

func (l *linter) matches(text string) bool {
	for _, re := range l.steps {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// tags checks one pickle's tags and returns its profiles and requirements.
func (l *linter) tags(uri string, line int, tags []string) scenarioInfo {
	var info scenarioInfo
	for _, t := range tags {
		name := strings.TrimPrefix(t, "@")
		switch {
		case l.profiles[name]:
			info.profiles = append(info.profiles, name)
		case strings.HasPrefix(name, "IHSM-"):
			q := l.o.Spec.Requirement(name)
			switch {
			case q == nil:
				l.add(uri, line, "unknown-requirement", "%s is not a requirement of the spec", t)
			case q.Withdrawn:
				l.add(uri, line, "unknown-requirement", "%s is withdrawn", t)
			default:
				info.reqs = append(info.reqs, name)
			}
		case slices.Contains(SuiteTags(), t):
		default:
			l.add(uri, line, "unknown-tag", "%s is neither a profile, a requirement id nor one of the suite's tags %v", t, SuiteTags())
		}
	}
	if len(info.profiles) != 1 {
		l.add(uri, line, "profile-tag", "%d profile tags %v; a scenario belongs to exactly one profile", len(info.profiles), info.profiles)
	}
	if !slices.ContainsFunc(tags, func(t string) bool { return strings.HasPrefix(t, "@IHSM-") }) {
		l.add(uri, line, "requirement-tag", "no requirement tag (@IHSM-AREA-NNN)")
	}
	return info
}

// outline checks the placeholders of a Scenario Outline.
func (l *linter) outline(uri string, sc *messages.Scenario) {
	if len(sc.Examples) == 0 {
		return
	}
	used := map[string]bool{}
	inSteps := false
	collect := func(s string, steps bool) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			used[m[1]] = true
			inSteps = inSteps || steps
		}
	}
	collect(sc.Name, false)
	for _, st := range sc.Steps {
		collect(st.Text, true)
		if st.DocString != nil {
			collect(st.DocString.Content, true)
		}
		if st.DataTable != nil {
			for _, r := range st.DataTable.Rows {
				for _, c := range r.Cells {
					collect(c.Value, true)
				}
			}
		}
	}
	if !inSteps {
		l.add(uri, int(sc.Location.Line), "outline-placeholder", "the outline's steps use no <placeholder>; make it a Scenario")
	}
	for _, ex := range sc.Examples {
		if ex.TableHeader == nil {
			continue
		}
		for _, c := range ex.TableHeader.Cells {
			if !used[c.Value] {
				l.add(uri, int(ex.TableHeader.Location.Line), "unused-column", "column %q is used by no <%s> of the outline", c.Value, c.Value)
			}
		}
	}
}

// coverage checks profiles, MUST requirements and the exemption list.
func (l *linter) coverage() error {
	byProfile := map[string]int{}
	covered := map[string]bool{}
	for _, s := range l.scenarios {
		for _, p := range s.profiles {
			byProfile[p]++
		}
		for _, r := range s.reqs {
			covered[r] = true
		}
	}
	for _, p := range l.o.Spec.Meta.Profiles {
		if byProfile[p.Name] == 0 {
			l.add("spec/spec.yaml", p.Line, "empty-profile", "profile %s has no runnable scenario: a device claiming it could not be tested", p.Name)
		}
	}
	ex, err := runner.LoadExemptions(l.o.Features)
	var le *runner.LineError
	if errors.As(err, &le) {
		l.add(ExemptionsFile, le.Line, "exemption", "%v", le.Err)
		return nil
	} else if err != nil {
		return err
	}
	exempt := map[string]runner.Exemption{}
	for _, e := range ex {
		q := l.o.Spec.Requirement(e.ID)
		switch {
		case e.ID == "":
			l.add(ExemptionsFile, e.Line, "exemption", "an entry without an id")
			continue
		case exempt[e.ID].ID != "":
			l.add(ExemptionsFile, e.Line, "exemption", "%s is listed twice (also at line %d)", e.ID, exempt[e.ID].Line)
			continue
		case q == nil || q.Withdrawn:
			l.add(ExemptionsFile, e.Line, "exemption", "%s is not a requirement of the spec", e.ID)
		case strings.TrimSpace(e.Reason) == "":
			l.add(ExemptionsFile, e.Line, "exemption", "%s has no reason", e.ID)
		case !mustBeCovered(q):
			l.add(ExemptionsFile, e.Line, "exemption", "%s is a %s requirement tested by %s; only uncovered MUST wire and control requirements are listed", e.ID, q.Level, q.Tested)
		case covered[e.ID]:
			l.add(ExemptionsFile, e.Line, "exemption", "%s is no longer needed: a scenario checks it now", e.ID)
		}
		exempt[e.ID] = e
	}
	for _, q := range l.o.Spec.Requirements {
		if !mustBeCovered(&q) || covered[q.ID] || exempt[q.ID].ID != "" {
			continue
		}
		l.add("spec/"+q.File, q.Line, "uncovered-must", "%s (MUST, tested by %s) has no runnable scenario; add one, or list it in features/%s with the reason", q.ID, q.Tested, ExemptionsFile)
	}
	return nil
}

// mustBeCovered reports whether a requirement needs a scenario: a MUST
// the suite can test (by wire or control).
func mustBeCovered(q *model.Requirement) bool {
	return !q.Withdrawn && q.Level == model.LevelMust && (q.Tested == model.TestedByWire || q.Tested == model.TestedByControl)
}
