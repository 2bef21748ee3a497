package report

import (
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"time"
)

// The elements and attributes are those of schema/junit.xsd, which the
// tests validate this output against.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"` // always 0: a scenario passes, fails or is skipped
	Skipped  int          `xml:"skipped,attr"`
	Time     seconds      `xml:"time,attr"`
	Started  string       `xml:"timestamp,attr,omitempty"` // when the run started
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string  `xml:"name,attr"`
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Time     seconds `xml:"time,attr"`
	// Started is the run's start too: the features' scenarios run
	// interleaved, so a suite has no start of its own.
	Started string      `xml:"timestamp,attr,omitempty"`
	Cases   []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      seconds       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

// junitMessage is a <failure> or <skipped>. A failure repeats its message
// as its text, which consumers show as the details (Jenkins' stack trace);
// some show nothing of a failure without text.
type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// seconds is a duration in seconds, written with millisecond precision
// and never with an exponent: JUnit's time is an xs:decimal, and
// encoding/xml would write a float64 of a microsecond as 1e-06.
type seconds float64

func (s seconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(float64(s), 'f', 3, 64)}, nil
}

// WriteJUnit writes the scenarios as JUnit XML, one test suite per feature.
// Skipped and not-tested scenarios are <skipped/> test cases and are counted
// in the skipped attributes: a JUnit consumer never sees them as passes.
func (r *Report) WriteJUnit(w io.Writer) error {
	byFeature := map[string]*junitSuite{}
	var all junitSuites
	all.Name = r.Suite.Name
	if !r.Started.IsZero() {
		all.Started = r.Started.UTC().Format(time.RFC3339)
	}
	for _, s := range r.Scenarios {
		js := byFeature[s.Feature]
		if js == nil {
			js = &junitSuite{Name: s.Feature, Started: all.Started}
			byFeature[s.Feature] = js
		}
		c := junitCase{Name: s.Name + " [" + s.ID + "]", Classname: s.Feature, Time: seconds(s.DurationMS / 1000)}
		switch s.Status {
		case Failed:
			c.Failure = &junitMessage{Message: s.Message, Text: s.Message}
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
