package keys

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// TestKeyStructsAreSecret: key material and keys print as [REDACTED] in
// every verb, marshal to none of their bytes, are not comparable with ==,
// and are cleared on destroy.
func TestKeyStructsAreSecret(t *testing.T) {
	_, ed, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sym := []byte("0123456789abcdef0123456789abcdef")
	edm := &material{ed: ed}
	symm := &material{sym: secret.New(sym)}
	edk, err := newKey(&material{ed: slices.Clone(ed)}, Ed25519, Attributes{Usage: UsageSign}, OriginGenerated)
	if err != nil {
		t.Fatal(err)
	}
	values := []any{edm, *edm, symm, *symm, edk, struct{ M *material }{edm}, []any{edk}}
	for _, v := range values {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		if j, err := json.Marshal(v); err == nil {
			outs = append(outs, string(j))
		}
		for _, out := range outs {
			for _, s := range [][]byte{ed.Seed(), sym} {
				if strings.Contains(strings.ToLower(out), hex.EncodeToString(s[:8])) || strings.Contains(out, string(s[:8])) ||
					strings.Contains(out, strings.Trim(fmt.Sprint(s[:6]), "[]")) {
					t.Fatalf("secret bytes in %q", out)
				}
			}
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[material](), reflect.TypeFor[key]()} {
		if typ.Comparable() {
			t.Errorf("%v is comparable with ==", typ)
		}
	}
	held := edk.ed
	edk.destroy()
	if !allZero(held) {
		t.Error("destroy left the Ed25519 private key bytes")
	}
	held = edm.ed
	raw := symm.sym.Expose()
	edm.clear()
	symm.clear()
	if !allZero(held) || !allZero(raw) {
		t.Error("clear left key bytes")
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return len(b) > 0
}
