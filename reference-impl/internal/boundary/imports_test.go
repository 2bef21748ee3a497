package boundary_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedStd are the standard-library packages (and prefixes, ending in
// "/") the boundary may import. net, os, os/exec, log, log/slog, unsafe,
// reflect and the rest of the standard library are not on the list.
var allowedStd = []string{
	"crypto", "crypto/", "encoding/", "errors", "fmt", "hash", "io", "io/fs", "math", "math/", "sync", "sync/atomic",
	"time", "bytes", "strconv", "sort", "slices", "maps", "runtime",
}

// allowedModules are the third-party module prefixes the boundary may import.
var allowedModules = []string{
	"golang.org/x/crypto/", "github.com/cloudflare/circl/", "github.com/fxamacker/cbor/v2", "github.com/veraison/go-cose",
}

const self = "github.com/openihsm/openihsm/reference-impl/internal/boundary"

// TestImportAllowList keeps the boundary self-contained, in the manner of
// Go's crypto/internal/fips140deps test: every non-test import of every
// boundary package must be on the allow-list, and the only packages of this
// repository it may import are its own. (Transitive imports of allowed
// standard packages, such as crypto/x509's use of net, are the standard
// library's business and are not checked.)
func TestImportAllowList(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, self+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs++
		for _, imp := range f[1:] {
			if !allowed(imp) {
				t.Errorf("%s imports %s, which is not on the boundary allow-list", f[0], imp)
			}
		}
	}
	if pkgs < 9 {
		t.Fatalf("only %d boundary packages listed", pkgs)
	}
}

func allowed(imp string) bool {
	if imp == self || strings.HasPrefix(imp, self+"/") {
		return true
	}
	for _, a := range append(allowedStd, allowedModules...) {
		if imp == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(imp, a)) {
			return true
		}
	}
	return false
}

func TestAllowListRejects(t *testing.T) {
	for _, bad := range []string{"net", "os", "os/exec", "log", "log/slog", "unsafe", "github.com/openihsm/openihsm/spec/wire",
		"github.com/openihsm/openihsm/reference-impl/internal/statedir", "net/http"} {
		if allowed(bad) {
			t.Errorf("%s allowed", bad)
		}
	}
}
