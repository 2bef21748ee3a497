package sbom

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestModulesOfProbe: the modules the probe binary links are the ones its
// SBOM lists, each with the h1 hash go.sum has, as hex.
func TestModulesOfProbe(t *testing.T) {
	doc, _, exe := selfDoc(t)
	linked, err := ModulesOfFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := DocumentModules(doc)
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffModules(linked, listed); d != "" || !slices.Equal(linked, listed) {
		t.Fatalf("the SBOM's modules differ from the binary's: %s", d)
	}
	withHash := 0
	for _, m := range linked {
		if !strings.HasPrefix(m.Purl, "pkg:golang/") {
			t.Errorf("purl %q", m.Purl)
		}
		if m.DirHash != "" {
			withHash++
			if b, err := hex.DecodeString(m.DirHash); err != nil || len(b) != sha256.Size {
				t.Errorf("%s: dirHash %q is not 32 bytes of hex", m.Purl, m.DirHash)
			}
		}
	}
	if withHash == 0 {
		t.Fatal("the probe links no module with a go.sum hash; the check proves nothing")
	}
}

func h1(b byte) string {
	return "h1:" + base64.StdEncoding.EncodeToString(slices.Repeat([]byte{b}, 32))
}

func TestModulesReplacementsAndDiff(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/app/cmd/app",
		Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "example.com/old", Version: "v1.0.0", Sum: h1(1), Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1", Sum: h1(2)}},
			{Path: "example.com/local", Version: "v0.1.0", Replace: &debug.Module{Path: "../local"}},
			{Path: "example.com/plain", Version: "v0.2.0", Sum: h1(3)},
		},
	}
	linked, err := Modules(bi)
	if err != nil {
		t.Fatal(err)
	}
	want := []Module{
		{Purl: "pkg:golang/example.com/fork@v1.0.1", DirHash: strings.Repeat("02", 32)},
		{Purl: "pkg:golang/example.com/local"},
		{Purl: "pkg:golang/example.com/plain@v0.2.0", DirHash: strings.Repeat("03", 32)},
		{Purl: "pkg:golang/stdlib@1.26.8"},
	}
	if !slices.Equal(linked, want) {
		t.Fatalf("Modules = %v\nwant %v", linked, want)
	}
	doc, err := FromBuildInfo(bi, testBinary(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	listed, err := DocumentModules(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed, want) {
		t.Fatalf("DocumentModules = %v\nwant %v", listed, want)
	}

	// A module dropped from the list, one added, one with another hash.
	got := []Module{want[0], want[1], {Purl: want[2].Purl, DirHash: strings.Repeat("04", 32)}, want[3], {Purl: "pkg:golang/example.com/extra@v1.0.0"}}
	d := DiffModules(want, got)
	for _, s := range []string{"missing pkg:golang/example.com/plain@v0.2.0", "not linked pkg:golang/example.com/plain@v0.2.0 (dirHash 0404", "pkg:golang/example.com/extra@v1.0.0"} {
		if !strings.Contains(d, s) {
			t.Errorf("DiffModules = %q, want it to name %q", d, s)
		}
	}
	if d := DiffModules(want, append(slices.Clone(want), want[0])); d == "" {
		t.Error("a module listed twice is not a difference")
	}

	for _, sum := range []string{"AAAA", "h1:AAAA", "h1:!!"} {
		if _, err := DirHash(sum); err == nil {
			t.Errorf("DirHash(%q) accepted", sum)
		}
	}
}
