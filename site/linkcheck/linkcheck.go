package linkcheck

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// Problem is one broken or forbidden reference.
type Problem struct {
	Page string // the page holding the reference, slash-separated
	Ref  string // the reference as written
	Why  string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %q: %s", p.Page, p.Ref, p.Why) }

// Result is what Check found.
type Result struct {
	Pages    int
	Links    int // relative references checked
	Problems []Problem
}

// page is what one HTML file offers and refers to.
type page struct {
	ids  map[string]bool
	refs []ref
}

type ref struct {
	attr, value string
	resource    bool // loaded by the browser (stylesheet, script, image), not followed
}

// Check reads every .html file of fsys and checks every href and src:
// a relative reference must name a file of fsys (a directory resolves to
// its index.html) and, with a fragment, an element id or anchor name of
// that page. A reference by absolute path ("/x") is refused because it
// breaks the site when opened from file:// or served under a prefix; a
// resource from another origin is refused because the site ships
// everything it loads. Links to other origins (<a href="https://...">)
// are allowed and not fetched.
func Check(fsys fs.FS) (Result, error) {
	var r Result
	pages := map[string]*page{}
	files := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		files[p] = true
		if !strings.HasSuffix(p, ".html") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		pg, err := parse(b)
		if err != nil {
			return fmt.Errorf("linkcheck: %s: %w", p, err)
		}
		pages[p] = pg
		return nil
	})
	if err != nil {
		return r, err
	}
	names := make([]string, 0, len(pages))
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	r.Pages = len(names)
	for _, n := range names {
		for _, f := range pages[n].refs {
			if p := checkRef(n, f, files, pages); p != "" {
				r.Problems = append(r.Problems, Problem{Page: n, Ref: f.value, Why: p})
			} else if isRelative(f.value) {
				r.Links++
			}
		}
	}
	return r, nil
}

func isRelative(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(u.Path, "/")
}

func checkRef(from string, f ref, files map[string]bool, pages map[string]*page) string {
	u, err := url.Parse(f.value)
	if err != nil {
		return "unparsable URL"
	}
	switch {
	case u.Scheme == "mailto":
		return ""
	case u.Scheme != "" || u.Host != "":
		if f.resource {
			return "loads a resource from another origin"
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "unexpected scheme " + u.Scheme
		}
		return ""
	case strings.HasPrefix(u.Path, "/"):
		return "absolute path: breaks file:// and sub-path hosting"
	}
	target := from
	if u.Path != "" {
		target = path.Join(path.Dir(from), u.Path)
		if strings.HasPrefix(target, "../") || target == ".." {
			return "leaves the site"
		}
		if strings.HasSuffix(u.Path, "/") || !files[target] && files[path.Join(target, "index.html")] {
			target = path.Join(target, "index.html")
		}
		if !files[target] {
			return "no such file " + target
		}
	}
	if u.Fragment == "" {
		return ""
	}
	pg := pages[target]
	if pg == nil {
		return "fragment on a file that is not a page"
	}
	if !pg.ids[u.Fragment] {
		return "no element with id " + u.Fragment + " in " + target
	}
	return ""
}

func parse(b []byte) (*page, error) {
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	pg := &page{ids: map[string]bool{}}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch {
				case a.Key == "id":
					pg.ids[a.Val] = true
				case a.Key == "name" && n.Data == "a":
					pg.ids[a.Val] = true
				case a.Key == "href" && (n.Data == "a" || n.Data == "area"):
					pg.refs = append(pg.refs, ref{attr: a.Key, value: a.Val})
				case a.Key == "href" && n.Data == "link", a.Key == "src":
					pg.refs = append(pg.refs, ref{attr: a.Key, value: a.Val, resource: true})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return pg, nil
}
