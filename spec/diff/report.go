package diff

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/openihsm/openihsm/spec/model"
)

// WriteText prints the report as a table of changes (class, location,
// element, change), then the policy violations and a one-line verdict.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CLASS\tLOCATION\tELEMENT\tCHANGE\n")
	for _, c := range r.Changes {
		loc := place(c.Pos)
		if c.Removed {
			loc = "old " + loc
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Class, loc, c.Where, c.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "violation: %s: %s: %s\n", place(v.Pos), v.Rule, v.Message)
	}
	_, err := fmt.Fprintln(w, r.Verdict())
	return err
}

// Verdict is one line: the counts per class, the versions, and whether the
// policy holds.
func (r *Report) Verdict() string {
	verdict := "ok"
	if !r.OK() {
		verdict = fmt.Sprintf("FAIL (%d policy violation(s))", len(r.Violations))
	}
	return fmt.Sprintf("verdict: %s: %d breaking, %d additive, %d editorial; spec %s -> %s, api_revision %s -> %s",
		verdict, r.Count(Breaking), r.Count(Additive), r.Count(Editorial),
		r.OldVersion, r.NewVersion, rev(r.OldRevision), rev(r.NewRevision))
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
