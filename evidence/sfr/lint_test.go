package sfr

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// lintJSON lints the sample report after edit changed its raw JSON form.
func lintJSON(t *testing.T, edit func(raw map[string]any)) map[Code]Severity {
	t.Helper()
	b, err := EncodeJSON(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	edit(raw)
	b, _ = json.Marshal(raw)
	r, err := ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[Code]Severity{}
	for _, p := range Lint(r) {
		codes[p.Code] = p.Severity
	}
	return codes
}

func dev(raw map[string]any) map[string]any { return raw["device"].(map[string]any) }
func aud(raw map[string]any) map[string]any { return raw["audit"].(map[string]any) }
func issue0(raw map[string]any) map[string]any {
	return aud(raw)["issues"].([]any)[0].(map[string]any)
}

func TestLint(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		code Code
		sev  Severity
	}{
		{"scope as float", func(r map[string]any) { aud(r)["scope_number"] = json.Number("1.0") }, CodeScopeType, SeverityError},
		{"scope as string", func(r map[string]any) { aud(r)["scope_number"] = "1" }, CodeScopeType, SeverityError},
		{"scope 3.1", func(r map[string]any) { aud(r)["scope_number"] = "3.1" }, CodeScopeRange, SeverityError},
		{"scope 4", func(r map[string]any) { aud(r)["scope_number"] = 4 }, CodeScopeRange, SeverityError},
		{"legacy scope key", func(r map[string]any) { a := aud(r); a["scope"] = "1"; delete(a, "scope_number") }, CodeScopeLegacyKey, SeverityWarning},
		{"no scope", func(r map[string]any) { delete(aud(r), "scope_number") }, CodeFieldMissing, SeverityError},
		{"0x hash", func(r map[string]any) { d := dev(r); d["fw_hash_sha2_384"] = "0x" + d["fw_hash_sha2_384"].(string) }, CodeHashPrefix, SeverityError},
		{"uppercase hash", func(r map[string]any) {
			d := dev(r)
			d["fw_hash_sha2_512"] = strings.ToUpper(d["fw_hash_sha2_512"].(string))
		}, CodeHashCase, SeverityWarning},
		{"non-hex hash", func(r map[string]any) { dev(r)["fw_hash_sha2_384"] = strings.Repeat("zz", 48) }, CodeHashFormat, SeverityError},
		{"short hash", func(r map[string]any) { dev(r)["fw_hash_sha2_512"] = strings.Repeat("ab", 48) }, CodeHashLength, SeverityError},
		{"empty sha512", func(r map[string]any) { dev(r)["fw_hash_sha2_512"] = "" }, CodeHashEmpty, SeverityWarning},
		{"no hashes", func(r map[string]any) { dev(r)["fw_hash_sha2_512"] = ""; dev(r)["fw_hash_sha2_384"] = "" }, CodeHashMissing, SeverityError},
		{"no repo_tag", func(r map[string]any) { delete(dev(r), "repo_tag") }, CodeRepoTagMissing, SeverityWarning},
		{"no vendor", func(r map[string]any) { delete(dev(r), "vendor") }, CodeFieldMissing, SeverityError},
		{"empty product", func(r map[string]any) { dev(r)["product"] = " " }, CodeFieldMissing, SeverityError},
		{"no fw_version", func(r map[string]any) { delete(dev(r), "fw_version") }, CodeFieldMissing, SeverityError},
		{"fw_version as number", func(r map[string]any) { dev(r)["fw_version"] = 1.5 }, CodeFieldType, SeverityError},
		{"date with slashes", func(r map[string]any) { aud(r)["completion_date"] = "2024/09/13" }, CodeDateFormat, SeverityError},
		{"date of 9 characters", func(r map[string]any) { aud(r)["completion_date"] = "2025-6-30" }, CodeDateFormat, SeverityError},
		{"score out of range", func(r map[string]any) { issue0(r)["cvss_score"] = "11.0" }, CodeCVSSScore, SeverityError},
		{"score not a number", func(r map[string]any) { issue0(r)["cvss_score"] = "high" }, CodeCVSSScore, SeverityError},
		{"score disagrees with vector", func(r map[string]any) { issue0(r)["cvss_score"] = "9.1" }, CodeCVSSMismatch, SeverityError},
		{"vector N/A", func(r map[string]any) { issue0(r)["cvss_vector"] = "N/A" }, CodeCVSSVector, SeverityError},
		{"vector leading slash", func(r map[string]any) { issue0(r)["cvss_vector"] = "/AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:H/A:L" }, CodeCVSSVector, SeverityWarning},
		{"v4 vector in a 3.1 report", func(r map[string]any) {
			issue0(r)["cvss_vector"] = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
		}, CodeCVSSVersion, SeverityError},
		{"v3.1 vector missing a metric", func(r map[string]any) { issue0(r)["cvss_vector"] = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:H" }, CodeCVSSVector, SeverityError},
		{"bad CWE", func(r map[string]any) { issue0(r)["cwe"] = "111" }, CodeCWE, SeverityWarning},
		{"issues not a list", func(r map[string]any) { aud(r)["issues"] = "none" }, CodeFieldType, SeverityError},
		{"manifest that the hashes do not cover", func(r map[string]any) {
			dev(r)["manifest"] = []any{map[string]any{"file_name": "a.c", "file_hash": strings.Repeat("ab", 64)}}
		}, CodeManifestDigest, SeverityError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes := lintJSON(t, tc.edit)
			if sev, ok := codes[tc.code]; !ok || sev != tc.sev {
				t.Fatalf("codes %v, want %s (%v)", codes, tc.code, tc.sev)
			}
		})
	}
}

func TestLintCVSS4(t *testing.T) {
	codes := lintJSON(t, func(r map[string]any) {
		aud(r)["cvss_version"] = "4.0"
		for _, is := range aud(r)["issues"].([]any) {
			is.(map[string]any)["cvss_vector"] = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
		}
	})
	if len(codes) != 0 {
		t.Fatalf("codes %v", codes)
	}
}

func TestLintManifestCovered(t *testing.T) {
	r := sampleReport()
	r.Device.Manifest = []ManifestEntry{{FileName: "a <b> & c.c", FileHash: strings.Repeat("ab", 64)}}
	mj := ManifestJSON(r.Device.Manifest)
	if string(mj) != `[{"file_name":"a <b> & c.c","file_hash":"`+strings.Repeat("ab", 64)+`"}]` {
		t.Fatalf("manifest JSON %s", mj)
	}
	d, _ := DigestReader(strings.NewReader(string(mj)))
	r.Device.FWHashSHA384, r.Device.FWHashSHA512 = fmt.Sprintf("%x", d.SHA384), fmt.Sprintf("%x", d.SHA512)
	if ps := Lint(r); len(ps) != 0 {
		t.Fatalf("lint %v", ps)
	}
}

func TestManifestJSONMatchesPython(t *testing.T) {
	// json.dumps([{"file_name": "é\U0001F600\"\\\n", "file_hash": ""}], separators=(",", ":"))
	got := string(ManifestJSON([]ManifestEntry{{FileName: "é\U0001F600\"\\\n\x7f"}}))
	want := `[{"file_name":"\u00e9\ud83d\ude00\"\\` + `\n` + "\x7f" + `","file_hash":""}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
