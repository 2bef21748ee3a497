package evidencetest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMake(t *testing.T) {
	root, _ := filepath.Abs("../..")
	e := Make(t, root)
	for _, f := range []string{"evidence.json", "evidence.dsse.json", "sbom.spdx.json", "sfr/sfr.cose",
		"attestations/test-conformance.dsse.json", "attestations/test-unit-tests.dsse.json",
		"verification/checks.json", "verification/vsa.intoto.json", "verification/report.txt"} {
		if _, err := os.Stat(filepath.Join(e.Dir, f)); err != nil {
			t.Errorf("no %s", f)
		}
	}
	if e.Summary.SFR == nil {
		t.Error("the short-form report was not verified")
	}
}
