package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// LintError is one problem found in the spec: where it is, the rule it breaks
// and what is wrong. Rule is a short stable id (schema, unique-opcode,
// dangling-status, ...) so tools and tests can match on it without parsing
// the message.
type LintError struct {
	File    string // relative to the spec root, slash-separated
	Line    int    // 1-based; 0 when the problem concerns the whole file or spec
	Rule    string
	Message string
}

func (e *LintError) Error() string {
	file := e.File
	if file == "" {
		file = "spec"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", file, e.Line, e.Rule, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", file, e.Rule, e.Message)
}

// Problems is every problem found in a spec. A non-empty Problems is the
// error returned by Load; it prints one problem per line.
type Problems []*LintError

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, e := range p {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns p as an error, or nil when p is empty, so a caller never holds
// a non-nil error interface around an empty list.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Rules returns the distinct rule ids in p, sorted.
func (p Problems) Rules() []string {
	var rules []string
	for _, e := range p {
		rules = append(rules, e.Rule)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

func (p Problems) sort() {
	slices.SortStableFunc(p, func(a, b *LintError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule))
	})
}

// problems collects LintErrors.
type problems struct{ list Problems }

func (ps *problems) at(pos Pos, rule, format string, args ...any) {
	ps.list = append(ps.list, &LintError{File: pos.File, Line: pos.Line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}
