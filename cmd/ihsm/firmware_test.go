//go:build ihsmfirmware

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestFirmwareBuild: the firmware build answers serve and version and
// nothing else, so the binary release evidence attests is the device
// alone.
func TestFirmwareBuild(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("version: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "firmware") || !strings.Contains(out.String(), "sha384:") {
		t.Errorf("version printed %q, want the firmware version and measurement", out.String())
	}
	for _, tool := range []string{"conform", "evidence", "sfr", "sbom", "spec", "site", "key", "provision", "device", "attest", "bridge", "pin", "mutants"} {
		out.Reset()
		errOut.Reset()
		if code := run([]string{tool}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
			t.Errorf("%s: exit %d (%q), want the unknown-command usage error", tool, code, errOut.String())
		}
	}
	if got := commands(); len(got) != 2 {
		t.Errorf("the firmware build has %d commands, want serve and version", len(got))
	}
	if code := run([]string{"serve", "-h"}, &out, &errOut); code != 0 {
		t.Errorf("serve -h: exit %d", code)
	}
}
