// Package spec embeds the machine-readable OpenIHSM specification: the YAML
// files that define the wire protocol, the status codes, the state machines,
// the security policy and the requirements, and the JSON Schemas that check
// them.
//
// The YAML is the source of truth. Package [github.com/openihsm/openihsm/spec/model]
// loads and checks it; the wire codec (spec/wire), the status codes (spec/rc)
// and the test vectors (spec/vectors) are generated from it with go generate.
//
// This package and every package under it import nothing else from the
// repository: the spec is the root of the dependency graph.
package spec

import "embed"

// FS holds the spec's YAML files and their JSON Schemas, rooted at spec/.
//
//go:embed *.yaml commands/*.yaml requirements/*.yaml architecture/*.yaml schema/*.json
var FS embed.FS
