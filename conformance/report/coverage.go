package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteCoverage writes the requirement coverage matrix as Markdown: one row
// per requirement with its level, profile, how it is tested, its status and
// the scenarios that check it.
func (r *Report) WriteCoverage(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Requirement coverage — %s %s on %s %s %s\n\n",
		r.Suite.Name, r.Suite.Version, r.Implementation.Vendor, r.Implementation.Product, r.Implementation.FirmwareVersion)
	counts := map[string]int{}
	for _, q := range r.Requirements {
		counts[q.Status]++
	}
	fmt.Fprintf(&b, "%d requirements: %d passed, %d failed, %d not tested.\n\n",
		len(r.Requirements), counts[Passed], counts[Failed], counts[NotTested]+counts[Skipped])
	b.WriteString("| Requirement | Level | Profile | Tested by | Status | Scenarios |\n|---|---|---|---|---|---|\n")
	for _, q := range r.Requirements {
		sc := strings.Join(q.Scenarios, "<br>")
		if sc == "" {
			sc = q.Reason
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", q.ID, q.Level, q.Profile, q.Tested, q.Status, sc)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
