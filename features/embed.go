// Package features is the conformance suite's feature bundle: the
// hand-written behavioural scenarios of this directory, the mechanical
// scenarios generated from the spec in generated/ (one per error-table
// row, per command a state refuses and per limit), and uncovered.yaml,
// the MUST requirements no scenario checks yet, each with its reason.
// They are embedded so that `ihsm conform` is one self-contained binary
// and its features digest names exactly what ran. It holds no code
// besides this embedding; the steps live in conformance/steps.
package features

import "embed"

// The generated scenarios are rewritten from the spec; a test fails when
// they are stale.
//
//go:generate go run ../conformance/internal/featuregen -out generated

// FS holds every .feature file of the bundle and uncovered.yaml.
//
//go:embed *.feature generated/*.feature uncovered.yaml
var FS embed.FS
