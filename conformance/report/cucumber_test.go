package report

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"
)

// cucumberFeature has a step of every status godog reports (passed,
// failed, skipped, undefined, pending, ambiguous) and the parts of the
// format that are optional: tags, a description, a comment, a background,
// a data table, a doc string, an attachment, an outline's rows and a
// scenario without steps. The @serial scenario runs in a second pass, as
// the runner's @serial scenarios do.
const cucumberFeature = `# a comment
@tiny
Feature: Tiny
  A description.

  Background:
    Given a step that passes

  Scenario: Every part
    Given a step with a table:
      | a | b |
      | 1 | 2 |
    And a step with a doc string:
      """text/plain
      some text
      """
    Then a step that attaches

  Scenario: A failure
    When a step that fails
    Then a step that passes

  Scenario: Undefined
    When a step nobody defined

  Scenario: Pending
    When a step that is pending

  Scenario: Ambiguous
    When a step that two definitions match

  Scenario: No steps

  Scenario Outline: Rows
    Given a step with <n>

    Examples: numbers
      | n |
      | 1 |
      | 2 |

  @serial
  Scenario: The second pass
    Given a step that passes
`

// godogCucumber runs godog on the tiny feature in two passes, the way the
// runner does, and returns the concatenated cucumber JSON features.
func godogCucumber(t *testing.T) []byte {
	t.Helper()
	bundle := fstest.MapFS{"tiny.feature": {Data: []byte(cucumberFeature)}}
	var all []json.RawMessage
	for _, tags := range []string{"~@serial", "@serial"} {
		out := filepath.Join(t.TempDir(), "cucumber.json")
		godog.TestSuite{
			Name: "tiny",
			ScenarioInitializer: func(sc *godog.ScenarioContext) {
				sc.Step(`^a step that passes$`, func() error { return nil })
				sc.Step(`^a step that fails$`, func() error { return errors.New("the device said \"no\"") })
				sc.Step(`^a step that is pending$`, func() error { return godog.ErrPending })
				sc.Step(`^a step that two definitions match$`, func() error { return nil })
				sc.Step(`^a step that two .* match$`, func() error { return nil })
				sc.Step(`^a step with a table:$`, func(*godog.Table) error { return nil })
				sc.Step(`^a step with a doc string:$`, func(*godog.DocString) error { return nil })
				sc.Step(`^a step with (\d+)$`, func(int) error { return nil })
				sc.Step(`^a step that attaches$`, func(ctx context.Context) (context.Context, error) {
					return godog.Attach(ctx, godog.Attachment{FileName: "frame", MediaType: "application/octet-stream", Body: []byte{1, 2, 3}}), nil
				})
			},
			Options: &godog.Options{
				FS: bundle, Paths: []string{"."}, Tags: tags, Format: "cucumber:" + out,
				Output: io.Discard, Strict: true, NoColors: true, Concurrency: 1,
			},
		}.Run() // the failures are the point: the status is not checked
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var feats []json.RawMessage
		if err := json.Unmarshal(data, &feats); err != nil {
			t.Fatal(err)
		}
		all = append(all, feats...)
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCucumberValidatesAgainstSchema validates real godog output, with a
// step of every status, against schema/cucumber.schema.json, then checks
// that the schema rejects broken variants of it.
func TestCucumberValidatesAgainstSchema(t *testing.T) {
	data := godogCucumber(t)
	if err := ValidateCucumber(data); err != nil {
		t.Fatalf("godog's cucumber JSON does not validate: %v\n%s", err, data)
	}
	good := string(data)
	for _, want := range []string{"passed", "failed", "skipped", "undefined", "pending", "ambiguous"} {
		if !strings.Contains(good, `"status": "`+want+`"`) {
			t.Errorf("godog's output has no %s step, so the schema was not tried on one:\n%s", want, good)
		}
	}
	for _, want := range []string{`"rows"`, `"doc_string"`, `"embeddings"`, `"comments"`, `"tags"`, `;numbers;2"`, `"The second pass"`} {
		if !strings.Contains(good, want) {
			t.Errorf("godog's output has no %s:\n%s", want, good)
		}
	}

	for name, edit := range map[string][2]string{
		"unknown status":              {`"status": "passed"`, `"status": "ok"`},
		"failure without its message": {`"error_message": "the device said \"no\"",`, ``},
		"duration not an integer":     {`"duration": `, `"duration": 1.5`},
		"line not positive":           {`"line": 3,`, `"line": 0,`},
		"step without result":         {`"result": {`, `"outcome": {`},
		"scenario without id":         {`"id": "tiny;every-part",`, ``},
		"unknown element type":        {`"type": "scenario"`, `"type": "test"`},
		"tag without @":               {`"name": "@tiny"`, `"name": "tiny"`},
		"feature without uri":         {`"uri": "tiny.feature",`, ``},
		"two arrays, not one":         {"\n]", "\n][]"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(good, edit[0], edit[1], 1)
			if bad == good {
				t.Fatalf("edit %q did not apply", edit[0])
			}
			if err := ValidateCucumber([]byte(bad)); err == nil {
				t.Fatalf("a broken cucumber JSON validates:\n%s", bad)
			}
		})
	}
	for _, bad := range []string{`{"features": []}`, `[{}]`, `[null]`, ``} {
		if err := ValidateCucumber([]byte(bad)); err == nil {
			t.Errorf("%#q validates", bad)
		}
	}
	if err := ValidateCucumber([]byte("[]")); err != nil {
		t.Errorf("a run without scenarios: %v", err)
	}
}
