package report

import (
	"encoding/xml"
	"io"
	"sort"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the scenarios as JUnit XML, one test suite per feature.
// Skipped and not-tested scenarios are <skipped/> test cases and are counted
// in the skipped attributes: a JUnit consumer never sees them as passes.
func (r *Report) WriteJUnit(w io.Writer) error {
	byFeature := map[string]*junitSuite{}
	var all junitSuites
	all.Name = r.Suite.Name
	for _, s := range r.Scenarios {
		js := byFeature[s.Feature]
		if js == nil {
			js = &junitSuite{Name: s.Feature}
			byFeature[s.Feature] = js
		}
		c := junitCase{Name: s.Name + " [" + s.ID + "]", Classname: s.Feature, Time: s.DurationMS / 1000}
		switch s.Status {
		case Failed:
			c.Failure = &junitMessage{Message: s.Message}
			js.Failures++
		case Skipped, NotTested:
			msg := s.Status
			if s.Message != "" {
				msg += ": " + s.Message
			}
			c.Skipped = &junitMessage{Message: msg}
			js.Skipped++
		}
		js.Tests++
		js.Time += c.Time
		js.Cases = append(js.Cases, c)
	}
	names := make([]string, 0, len(byFeature))
	for n := range byFeature {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		js := byFeature[n]
		all.Tests += js.Tests
		all.Failures += js.Failures
		all.Skipped += js.Skipped
		all.Time += js.Time
		all.Suites = append(all.Suites, *js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
