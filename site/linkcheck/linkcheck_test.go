package linkcheck

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCheck(t *testing.T) {
	site := fstest.MapFS{
		"index.html":        {Data: []byte(`<a href="a/b.html#x">b</a><a href="a/">dir</a><a href="#top" id="top">self</a><link rel="stylesheet" href="s.css"><a href="https://example.org/">out</a><a href="mailto:x@example.org">m</a>`)},
		"a/b.html":          {Data: []byte(`<h2 id="x">x</h2><a href="../index.html">home</a><a href="b.html#x">same</a>`)},
		"a/index.html":      {Data: []byte(`<svg><title id="t">t</title></svg><a href="#t">t</a>`)},
		"s.css":             {Data: []byte(`body{}`)},
		"a/with%20space.js": {Data: []byte(``)},
	}
	res, err := Check(site)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("clean site: %v", res.Problems)
	}
	if res.Pages != 3 || res.Links != 7 {
		t.Errorf("pages %d links %d, want 3 and 7", res.Pages, res.Links)
	}
}

func TestCheckFindsProblems(t *testing.T) {
	for _, tc := range []struct{ name, html, why string }{
		{"missing file", `<a href="nope.html">x</a>`, "no such file"},
		{"missing anchor", `<a href="other.html#gone">x</a>`, "no element with id gone"},
		{"missing own anchor", `<a href="#gone">x</a>`, "no element with id gone"},
		{"absolute path", `<a href="/other.html">x</a>`, "absolute path"},
		{"external script", `<script src="https://cdn.example.org/x.js"></script>`, "another origin"},
		{"external stylesheet", `<link rel="stylesheet" href="//fonts.example.org/f.css">`, "another origin"},
		{"external image", `<img src="http://example.org/x.png" alt="x">`, "another origin"},
		{"leaves site", `<a href="../x.html">x</a>`, "leaves the site"},
		{"fragment on non-page", `<a href="s.css#x">x</a>`, "not a page"},
		{"odd scheme", `<a href="javascript:alert(1)">x</a>`, "unexpected scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Check(fstest.MapFS{
				"index.html": {Data: []byte(tc.html)},
				"other.html": {Data: []byte(`<p id="here">x</p>`)},
				"s.css":      {Data: []byte(``)},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Why, tc.why) {
				t.Fatalf("problems = %v, want one saying %q", res.Problems, tc.why)
			}
		})
	}
}
