// Package report defines conformance-report.json, the source of truth of a
// conformance run, and derives the other outputs from it: JUnit XML (skips and
// not-tested scenarios reported as skipped, never as passed) and the
// requirement coverage matrix.
//
// The report's JSON Schema is embedded ([SchemaJSON]); [Validate] checks a
// report file against it, so a report handed to a certification body can be
// checked independently of this code. The other reports a run writes have
// schemas too, in schema/: cucumber.schema.json for godog's Cucumber JSON
// ([ValidateCucumber]) and junit.xsd, an XML Schema of JUnit XML as CI tools
// read it, which the tests check [Report.WriteJUnit] against with xmllint.
package report
