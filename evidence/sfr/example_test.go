package sfr_test

import (
	"fmt"

	"github.com/openihsm/openihsm/evidence/sfr"
)

// Lint a legacy JSON report with the quirks of early published ones.
func ExampleLint() {
	r, err := sfr.ParseJSON([]byte(`{
	  "review_framework_version": "1.1",
	  "device": {"vendor": "ACME Inc", "product": "Roadrunner Trap", "fw_version": "1.2.3",
	    "fw_hash_sha2_384": "0xcd484defa77e8c3e4a8dd73926e32365ea0dbd01e4eff017f211d4629cfcd8e4890dd66ab1bded9be865cd1c849800d4",
	    "fw_hash_sha2_512": ""},
	  "audit": {"srp": "My Pentest Corporation", "methodology": "whitebox", "completion_date": "2023-06-25",
	    "report_version": "1.2", "scope_number": 1.0, "cvss_version": "3.1", "issues": []}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range sfr.Lint(r) {
		fmt.Println(p.Severity, p.Field, p.Code)
	}
	// Output:
	// warning device.repo_tag repo-tag-missing
	// error device.fw_hash_sha2_384 hash-0x-prefix
	// warning device.fw_hash_sha2_512 hash-empty
	// error audit.scope_number scope-type
}
