// Package features is the conformance suite's feature bundle: the Gherkin
// files of this directory, embedded so that `ihsm conform` is one
// self-contained binary and its features digest names exactly what ran.
// It holds no code besides this embedding; the steps live in
// conformance/steps.
package features

import "embed"

// FS holds every .feature file of the bundle.
//
//go:embed *.feature
var FS embed.FS
