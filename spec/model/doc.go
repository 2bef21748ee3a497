// Package model is the Go form of the OpenIHSM spec: it loads the YAML files
// under spec/, validates each against its JSON Schema, and checks the rules a
// schema cannot express (unique opcodes, field keys and requirement ids,
// references that resolve). The generators, the linter, the diff tool, the
// conformance suite and the site all read the spec through this package.
package model
