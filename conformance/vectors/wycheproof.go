package vectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/c2sp/wycheproof"
)

// hexBytes is a Wycheproof hex string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Wycheproof results: "acceptable" vectors are legal inputs a library may
// refuse, so either outcome passes as long as a refusal carries a status
// the spec names.
const (
	resultValid      = "valid"
	resultInvalid    = "invalid"
	resultAcceptable = "acceptable"
)

// testCase holds the fields common to every Wycheproof test.
type testCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"`
}

// loadWycheproof decodes a file of the pinned Wycheproof module into v.
func loadWycheproof(name string, v any) error {
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	if err != nil {
		return fmt.Errorf("wycheproof %s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("wycheproof %s: %w", name, err)
	}
	return nil
}

// wycheproofFiles lists the files of the pinned module whose names start
// with prefix and end in _test.json, sorted.
func wycheproofFiles(prefix string) []string {
	var out []string
	entries, err := fs.ReadDir(wycheproof.TestVectors, ".")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, "_test.json") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// source names a Wycheproof file in the report.
func source(name string) string { return path.Join("wycheproof", name) }

// countTests returns the number of tests of a Wycheproof file (its
// numberOfTests), used when a whole file is skipped.
func countTests(name string) (int, error) {
	var f struct {
		NumberOfTests int `json:"numberOfTests"`
	}
	if err := loadWycheproof(name, &f); err != nil {
		return 0, err
	}
	return f.NumberOfTests, nil
}
