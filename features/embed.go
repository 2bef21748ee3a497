// Package features is the conformance suite's feature bundle: the
// hand-written behavioural scenarios of this directory, the mechanical
// scenarios generated from the spec in generated/ (one per error-table
// row, per command a state refuses and per limit). They are embedded so that `ihsm conform` is one self-contained binary
// and its features digest names exactly what ran. It holds no code
// besides this embedding; the steps live in conformance/steps.
package features

import "embed"

// The generated scenarios are rewritten from the spec; a test fails when
// they are stale.
//
//go:generate go run ../conformance/internal/featuregen -out generated

// FS holds every .feature file of the bundle.
//
//go:embed *.feature generated/*.feature
var FS embed.FS
