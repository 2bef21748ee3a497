package depstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/openihsm/openihsm"

// pkg is the part of `go list -json` output the rules read.
type pkg struct {
	ImportPath string
	Imports    []string // direct imports
	Deps       []string // transitive imports
	Standard   bool
	ForTest    string // set on a package compiled for the tests of ForTest
}

// base returns the import path of a package as go list -test names its
// variants: "p [p.test]" (p with its _test.go files, or a package
// recompiled for p's tests) and "p.test" (the test binary of p) are p.
func base(path string) (string, bool) {
	test := false
	if i := strings.Index(path, " ["); i >= 0 {
		path, test = path[:i], true
	}
	if p, ok := strings.CutSuffix(path, ".test"); ok {
		path, test = p, true
	}
	return path, test
}

// boundaryStd is the standard library the boundary may import directly:
// cryptography, encodings and pure computation. Deliberately absent: os
// (the boundary keeps no files; persistence is handed sealed blobs from
// outside), net, os/exec, syscall, unsafe, reflect and every logger, so no
// secret can leave other than through the return values of its API.
var boundaryStd = []string{
	"bytes", "cmp", "crypto", "encoding", "errors", "fmt", "hash", "io", "io/fs",
	"iter", "maps", "math", "slices", "sort", "strconv", "strings", "sync",
	"sync/atomic", "time", "unicode", "unicode/utf8", "runtime",
}

// boundaryStdTrees are standard-library trees the boundary may import
// anything from.
var boundaryStdTrees = []string{"crypto/", "encoding/", "hash/", "math/"}

// boundaryModules are the third-party modules the boundary may import.
var boundaryModules = []string{
	"golang.org/x/crypto/",
	"github.com/cloudflare/circl/",
	"github.com/fxamacker/cbor/v2",
	"github.com/veraison/go-cose",
}

// boundaryDenied are named in the failure message when imported: they are
// the ways a secret would leave the boundary.
var boundaryDenied = []string{"net", "os", "os/exec", "log", "log/slog", "syscall", "unsafe"}

func under(path, tree string) bool {
	return path == tree || strings.HasPrefix(path, tree+"/")
}

func inModule(path string) bool { return under(path, module) }

func rel(path string) string { return strings.TrimPrefix(path, module+"/") }

// check applies the dependency rules to the packages of the module,
// listed with their test variants (go list -test), and returns one line
// per violation. The order of the repository holds for tests too: a test
// of spec/... imports nothing else of the repository, and a test of the
// suite or the evidence tools no part of the reference HSM. The boundary's
// allow-list is about the code that handles secrets, so it applies to the
// boundary's packages as they are built into the device, without their
// tests.
func check(pkgs []pkg) []string {
	var bad []string
	seen := map[string]bool{}
	report := func(line string) {
		if !seen[line] {
			seen[line] = true
			bad = append(bad, line)
		}
	}
	for _, p := range pkgs {
		path, test := base(p.ImportPath)
		if !inModule(path) {
			continue
		}
		me := rel(path)
		who := me
		if test {
			who = me + " (tests)"
		}
		switch {
		case under(me, "spec"):
			for _, d := range p.Deps {
				if d, _ := base(d); inModule(d) && !under(rel(d), "spec") {
					report(who + " depends on " + rel(d) + ": spec/... imports nothing else from the repository")
				}
			}
		case under(me, "conformance"), under(me, "evidence"), under(me, "sbom"):
			for _, d := range p.Deps {
				if d, _ := base(d); inModule(d) && under(rel(d), "reference-impl") {
					report(who + " depends on " + rel(d) + ": the conformance suite and the evidence tools reach a device only through the wire protocol")
				}
			}
		}
		if test || !under(me, "reference-impl/internal/boundary") {
			continue
		}
		for _, d := range p.Deps {
			if inModule(d) && !under(rel(d), "reference-impl/internal/boundary") {
				bad = append(bad, me+" depends on "+rel(d)+": the boundary imports nothing from the repository outside itself")
			}
		}
		for _, imp := range p.Imports {
			if !boundaryAllowed(imp) {
				why := "not on the boundary's allow-list"
				if slices.Contains(boundaryDenied, imp) {
					why = "denied in the boundary"
				}
				bad = append(bad, me+" imports "+imp+": "+why)
			}
		}
	}
	return bad
}

func boundaryAllowed(imp string) bool {
	switch {
	case inModule(imp):
		return under(rel(imp), "reference-impl/internal/boundary")
	case slices.Contains(boundaryStd, imp):
		return true
	}
	for _, t := range boundaryStdTrees {
		if strings.HasPrefix(imp, t) {
			return true
		}
	}
	for _, m := range boundaryModules {
		if strings.HasSuffix(m, "/") && strings.HasPrefix(imp, m) || under(imp, strings.TrimSuffix(m, "/")) {
			return true
		}
	}
	return false
}

// listModule runs go list over every package of the module.
func listModule(t *testing.T) []pkg {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "list", "-e", "-deps", "-test", "-json=ImportPath,Imports,Deps,Standard,ForTest", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestDependencyOrder(t *testing.T) {
	pkgs := listModule(t)
	n, tests := 0, 0
	for _, p := range pkgs {
		path, test := base(p.ImportPath)
		if inModule(path) {
			n++
			if test && under(rel(path), "spec") {
				tests++
			}
		}
	}
	if n == 0 {
		t.Fatal("go list found no package of the module")
	}
	if tests == 0 {
		t.Fatal("go list listed no test variant of spec/...: the test imports go unchecked")
	}
	for _, v := range check(pkgs) {
		t.Error(v)
	}
}

// TestRules shows that each rule fires: a dependency test that cannot fail
// proves nothing.
func TestRules(t *testing.T) {
	p := func(path string, imports ...string) pkg {
		return pkg{ImportPath: module + "/" + path, Imports: imports, Deps: imports}
	}
	m := func(path string) string { return module + "/" + path }
	tests := []struct {
		name string
		pkg  pkg
		bad  bool
	}{
		{"spec imports spec", p("spec/wire", m("spec/rc"), "fmt"), false},
		{"spec imports the reference HSM", p("spec/wire", m("reference-impl/device")), true},
		{"spec imports evidence", p("spec/model", m("evidence/sfr")), true},
		{"conformance imports spec", p("conformance/steps", m("spec/client")), false},
		{"conformance imports the reference HSM", p("conformance/steps", m("reference-impl/device")), true},
		{"evidence imports the boundary", p("evidence/sfr", m("reference-impl/internal/boundary/keys")), true},
		{"sbom imports the reference HSM", p("sbom/spdx", m("reference-impl/server")), true},
		{"boundary imports crypto", p("reference-impl/internal/boundary/keys", "crypto/ecdsa", "crypto/mlkem", "encoding/binary", "math/big"), false},
		{"boundary imports its own packages", p("reference-impl/internal/boundary", m("reference-impl/internal/boundary/keys")), false},
		{"boundary imports allowed modules", p("reference-impl/internal/boundary/identity", "github.com/veraison/go-cose", "github.com/fxamacker/cbor/v2", "github.com/cloudflare/circl/sign/mldsa/mldsa65", "golang.org/x/crypto/hkdf"), false},
		{"boundary imports net", p("reference-impl/internal/boundary", "net"), true},
		{"boundary imports os", p("reference-impl/internal/boundary", "os"), true},
		{"boundary imports os/exec", p("reference-impl/internal/boundary", "os/exec"), true},
		{"boundary imports log/slog", p("reference-impl/internal/boundary", "log/slog"), true},
		{"boundary imports the rest of the repo", p("reference-impl/internal/boundary", m("reference-impl/internal/statedir")), true},
		{"boundary imports spec", p("reference-impl/internal/boundary", m("spec/wire")), true},
		{"boundary imports an unlisted module", p("reference-impl/internal/boundary", "github.com/cloudflare/circlx"), true},
		{"reference HSM outside the boundary imports net", p("reference-impl/server", "net", m("spec/wire")), false},
		{"spec test imports the reference HSM", p("spec/wire [github.com/openihsm/openihsm/spec/wire.test]", m("reference-impl/device")), true},
		{"spec external test imports conformance", p("spec/wire_test [github.com/openihsm/openihsm/spec/wire.test]", m("conformance/steps")), true},
		{"spec test binary depends on evidence", p("spec/model.test", m("evidence/sfr")), true},
		{"spec test imports a test variant of spec", p("spec/wire [github.com/openihsm/openihsm/spec/wire.test]", m("spec/vectors [github.com/openihsm/openihsm/spec/wire.test]")), false},
		{"conformance test imports the reference HSM", p("conformance/runner [github.com/openihsm/openihsm/conformance/runner.test]", m("reference-impl/refhsm")), true},
		{"evidence test depends on the boundary through a recompiled package", p("evidence/release_test [github.com/openihsm/openihsm/evidence/release.test]", m("reference-impl/internal/boundary/keys [github.com/openihsm/openihsm/evidence/release.test]")), true},
		{"boundary test imports os", p("reference-impl/internal/boundary [github.com/openihsm/openihsm/reference-impl/internal/boundary.test]", "os"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := check([]pkg{tt.pkg})
			if (len(bad) > 0) != tt.bad {
				t.Fatalf("violations %q, want any: %v", bad, tt.bad)
			}
		})
	}
}
