// Package build generates the OpenIHSM documentation site: static HTML
// pages, one stylesheet and one small script, rendered with html/template
// from the machine-readable spec and the latest run outputs.
//
// The pages are derived, never written by hand, so they cannot drift from
// the spec: one page per command (opcode, session rule, roles, request and
// response fields with their limits, the effective error table, the
// requirements it implements, an example frame from spec/vectors and the
// JSON Schemas of spec/wire), the framing, envelope and channel protection,
// the status-code registry, the types, the state machines drawn as SVG
// from their transition tables, the security architecture (boundary and
// ports, roles and services, keys and secrets, algorithms, self-tests, the
// masked-key layout as a table and a byte ruler), the requirements index
// with a client-side filter and the scenarios that check each requirement
// (from the feature bundle's tags, with or without a run), the scenarios
// of the bundle, the conformance dashboard of a conformance-report.json,
// the evidence of a release, and the changelog computed by spec/diff
// against a previous spec.
//
// Every link is relative, so the site works from file:// and from any
// static host; nothing is loaded from another origin. The output is a
// function of the Input alone: maps are walked in sorted order and no
// clock is read, so the same inputs give the same bytes.
//
// [Render] returns the files; [Build] writes them into a directory, which
// it only ever replaces when an earlier Build wrote it (it holds [Marker]).
// The command-line entry point is "ihsm site build".
package build
