package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/internal/evidencetest"
	"github.com/openihsm/openihsm/site/build"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

// chromium finds Debian's Chromium. Outside CI a machine without it skips
// the test; in CI (CI=true) its absence fails the run, so the browser check
// can never silently stop running.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("OPENIHSM_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found and CI=true: .ci/run installs Debian's chromium package; the browser test must run in CI")
	}
	t.Skip("chromium not found (install Debian's chromium package, or set OPENIHSM_CHROMIUM); skipped outside CI")
	return ""
}

// screenshotDir is where the screenshots go for review:
// $OPENIHSM_SCREENSHOTS, or out/screenshots at the top of the repository
// (out/ holds every build output and is not committed).
func screenshotDir(t *testing.T) string {
	d := os.Getenv("OPENIHSM_SCREENSHOTS")
	if d == "" {
		var err error
		if d, err = filepath.Abs(filepath.Join("..", "..", "out", "screenshots")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// writePNG writes a screenshot and checks it is a PNG image with pixels.
func writePNG(t *testing.T, path string, b []byte) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		t.Fatalf("%s: not a non-empty PNG (%d bytes, %dx%d): %v", filepath.Base(path), len(b), cfg.Width, cfg.Height, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildSite renders the site of the embedded spec with a conformance
// report and real evidence (ihsm evidence build and verify of a small
// command of this module), so every page kind has content.
func buildSite(t *testing.T) (string, *model.Spec) {
	t.Helper()
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	ev, err := build.LoadEvidence(evidencetest.Make(t, root).Dir)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "site")
	in := build.Input{Spec: s, Previous: s, Vectors: vs, Schemas: wire.SchemaFS, Conformance: conformanceRun(t, s), Evidence: ev}
	in.Scenarios = bundleScenarios(t)
	if err := build.Build(dir, in); err != nil {
		t.Fatal(err)
	}
	return dir, s
}

// bundleScenarios are the scenarios of the embedded feature bundle, so
// the requirements index links to the scenarios page.
func bundleScenarios(t *testing.T) []build.Scenario {
	t.Helper()
	pickles, _, err := runner.ParseFeatures(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	var out []build.Scenario
	for _, p := range pickles {
		out = append(out, build.Scenario{ID: p.ID(), Name: p.Name, Feature: p.URI, Tags: p.Tags})
	}
	return out
}

// conformanceRun is a report shaped like one from ihsm conform, made
// without a device: one scenario per requirement, mostly passing, some
// failing and skipped, so the dashboard shows every state.
func conformanceRun(t *testing.T, s *model.Spec) *build.Conformance {
	t.Helper()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := report.Report{
		ReportVersion:  report.Version,
		Suite:          report.Suite{Name: "openihsm-conformance", Version: "0.1.0", SpecVersion: s.Meta.Version, APIRevision: fmt.Sprintf("%d.%d", s.Meta.APIRevision.Major, s.Meta.APIRevision.Minor), SpecDigest: "sha256:" + strings.Repeat("ab", 32), FeaturesDigest: "sha256:" + strings.Repeat("cd", 32)},
		Implementation: report.Implementation{Vendor: "OpenIHSM", Product: "reference HSM", FirmwareVersion: "0.1.0", Profiles: []string{"baseline", "pqc"}},
		Target:         "unix:///run/ihsm/p0.sock",
		Control:        true,
		Seed:           7,
		Started:        start,
		Finished:       start.Add(12 * time.Second),
		Vectors:        []report.VectorTally{{Source: "wycheproof/ecdsa_secp384r1_sha384_test.json", Total: 120, Passed: 118, Skipped: 2}},
		Transcript:     report.Transcript{File: "transcript.jsonl", Digest: "sha256:" + strings.Repeat("ef", 32), Frames: 812},
	}
	var reqs []report.Requirement
	for i, q := range s.Requirements {
		reqs = append(reqs, report.Requirement{ID: q.ID, Level: q.Level, Profile: q.Profile, Tested: q.Tested})
		if q.Tested == model.TestedByReview {
			continue
		}
		st := report.Passed
		switch i % 17 {
		case 5:
			st = report.Failed
		case 11:
			st = report.Skipped
		}
		r.Scenarios = append(r.Scenarios, report.Scenario{
			ID: fmt.Sprintf("features/%s.feature:%d", strings.ToLower(q.Area), 3+4*i), Name: "checks " + q.ID,
			Feature: strings.ToLower(q.Area), Tags: []string{"@" + q.ID}, Requirements: []string{q.ID},
			Profile: q.Profile, Status: st, DurationMS: float64(5 + i%40),
		})
	}
	r.Finalize(reqs, map[string]report.ProfileClaim{"baseline": {Claimed: true, Selected: true}, "pqc": {Claimed: true, Selected: true}})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := build.ParseConformance(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// problems collects what the browser reports: console errors, uncaught
// exceptions, log errors, failed requests and HTTP errors.
type problems struct {
	mu     sync.Mutex
	page   string
	origin string // every response must come from under it
	list   []string
}

func (p *problems) setOrigin(o string) {
	p.mu.Lock()
	p.origin = o
	p.mu.Unlock()
}

func (p *problems) originNow() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.origin
}

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, p.page+": "+fmt.Sprintf(format, args...))
}

func (p *problems) at(page string) {
	p.mu.Lock()
	p.page = page
	p.mu.Unlock()
}

func (p *problems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.list
	p.list = nil
	return out
}

func TestSiteInChromium(t *testing.T) {
	exe := chromium(t)
	dir, s := buildSite(t)
	shots := screenshotDir(t)

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	base := srv.URL + "/"
	fileBase := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 6*time.Minute)
	defer cancelT()

	var probs problems
	probs.origin = base
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value))
				}
				probs.add("console %s: %s", ev.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			probs.add("exception: %s", ev.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError {
				probs.add("log error: %s %s", ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled {
				probs.add("request failed: %s", ev.ErrorText)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				probs.add("HTTP %d for %s", int(ev.Response.Status), ev.Response.URL)
			}
			if o := probs.originNow(); !strings.HasPrefix(ev.Response.URL, o) {
				probs.add("request outside %s: %s", o, ev.Response.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), cdplog.Enable()); err != nil {
		t.Fatal(err)
	}

	// The site must work from a static host and straight from the disk.
	var visited map[string]bool
	for _, run := range []struct{ name, base string }{{"over http", base}, {"from file://", fileBase}} {
		t.Run("crawl "+run.name, func(t *testing.T) {
			probs.setOrigin(run.base)
			v := crawl(t, ctx, &probs, run.base, s)
			if visited == nil {
				visited = v
			}
			for _, p := range probs.take() {
				t.Error(p)
			}
		})
	}
	probs.setOrigin(base)

	t.Run("requirement filter", func(t *testing.T) { testFilter(t, ctx, base, s) })
	t.Run("requirement filter from file://", func(t *testing.T) {
		probs.setOrigin(fileBase)
		defer probs.setOrigin(base)
		testFilter(t, ctx, fileBase, s)
	})
	t.Run("keyboard", func(t *testing.T) { testKeyboard(t, ctx, base) })
	t.Run("screenshots", func(t *testing.T) { testScreenshots(t, ctx, base, s, shots) })
	t.Run("phone width", func(t *testing.T) { testPhone(t, ctx, base, visited, shots) })
	t.Run("without JavaScript", func(t *testing.T) { testNoScript(t, ctx, base, s) })

	for _, p := range probs.take() {
		t.Error(p)
	}
}

// crawl follows every <a href> of every page from the home page under
// base and returns the pages it visited. Every link must name a page
// (a directory link would break from file://), every anchor must exist,
// and every command and section must be reachable.
func crawl(t *testing.T, ctx context.Context, probs *problems, base string, s *model.Spec) map[string]bool {
	type link struct{ from, href string }
	root, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	visited := map[string]bool{}
	ids := map[string]map[string]bool{}
	titles := map[string]string{}
	var fragments []link
	queue := []string{"index.html"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if visited[p] {
			continue
		}
		visited[p] = true
		probs.at(p)
		var hrefs, pageIDs []string
		var h1 string
		err := chromedp.Run(ctx,
			chromedp.Navigate(base+p),
			chromedp.WaitReady("body", chromedp.ByQuery),
			chromedp.Evaluate(`Array.from(document.querySelectorAll("a[href]"), a => a.getAttribute("href"))`, &hrefs),
			chromedp.Evaluate(`Array.from(document.querySelectorAll("[id]"), e => e.id)`, &pageIDs),
			chromedp.Text("h1", &h1, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		titles[p] = h1
		ids[p] = map[string]bool{}
		for _, id := range pageIDs {
			ids[p][id] = true
		}
		// Links are resolved against the page's own path, as a browser
		// opening the file resolves them (an http file server may show
		// dir/index.html as dir/).
		here := root.ResolveReference(&url.URL{Path: p})
		for _, h := range hrefs {
			ref, err := url.Parse(h)
			if err != nil {
				t.Errorf("%s: bad href %q", p, h)
				continue
			}
			u := here.ResolveReference(ref)
			target, inside := strings.CutPrefix(u.Path, root.Path)
			if u.Scheme != root.Scheme || u.Host != root.Host || !inside {
				t.Errorf("%s: link outside the site: %s", p, h)
				continue
			}
			if target == "" || strings.HasSuffix(target, "/") {
				t.Errorf("%s: link to a directory %s, which opens no page from file://", p, h)
				continue
			}
			if u.Fragment != "" {
				fragments = append(fragments, link{from: p, href: target + "#" + u.Fragment})
			}
			if !visited[target] {
				if strings.HasSuffix(target, ".html") {
					queue = append(queue, target)
				} else {
					t.Errorf("%s: link to a non-page %s", p, h)
				}
			}
		}
	}
	probs.at("after crawl")
	for _, f := range fragments {
		page, frag, _ := strings.Cut(f.href, "#")
		if !ids[page][frag] {
			t.Errorf("%s: broken anchor %s", f.from, f.href)
		}
	}
	for _, c := range s.Commands {
		p := "protocol/commands/" + c.Name + ".html"
		if !visited[p] {
			t.Errorf("command %s has no page reachable from the home page", c.Name)
		} else if !strings.Contains(titles[p], c.Name) {
			t.Errorf("%s: heading %q does not name the command", p, titles[p])
		}
	}
	for _, p := range []string{"protocol/states.html", "protocol/status.html", "protocol/types.html", "architecture/index.html", "requirements/index.html", "conformance/index.html", "conformance/scenarios.html", "evidence/index.html", "changelog.html", "protocol/framing.html", "protocol/envelope.html", "protocol/channel.html"} {
		if !visited[p] {
			t.Errorf("%s is not reachable from the home page", p)
		}
	}
	t.Logf("crawled %d pages under %s, %d anchors checked", len(visited), base, len(fragments))
	return visited
}

func visibleRows(ctx context.Context) (ids []string, err error) {
	err = chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("#req-table tbody tr"), r => r).filter(r => !r.hidden && r.offsetParent !== null).map(r => r.id)`, &ids))
	return ids, err
}

func testFilter(t *testing.T, ctx context.Context, base string, s *model.Spec) {
	var formHidden bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"requirements/index.html"),
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("req-filter").hidden`, &formHidden),
	); err != nil {
		t.Fatal(err)
	}
	if formHidden {
		t.Fatal("the filter form is still hidden with JavaScript on")
	}
	all, err := visibleRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(s.Requirements) {
		t.Fatalf("%d rows visible before filtering, want %d", len(all), len(s.Requirements))
	}
	want := s.Requirements[len(s.Requirements)/2].ID
	if err := chromedp.Run(ctx, chromedp.SendKeys("#q", strings.ToLower(want), chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	got, err := visibleRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("typing %q shows %v, want only %s", want, got, want)
	}
	var count string
	if err := chromedp.Run(ctx, chromedp.Text("#req-count", &count, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(count, "1 of ") {
		t.Errorf("count says %q", count)
	}

	// Area filter: clear the search, pick an area.
	area := s.Requirements[0].Area
	wantArea := 0
	for _, q := range s.Requirements {
		if q.Area == area {
			wantArea++
		}
	}
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(fmt.Sprintf(`(() => {
			const q = document.getElementById("q"); q.value = ""; q.dispatchEvent(new Event("input", {bubbles: true}));
			const s = document.getElementById("f-area"); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true}));
		})()`, area), nil),
	); err != nil {
		t.Fatal(err)
	}
	got, err = visibleRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != wantArea {
		t.Errorf("area %s shows %d rows, want %d", area, len(got), wantArea)
	}
	for _, id := range got {
		if q := s.Requirement(id); q == nil || q.Area != area {
			t.Errorf("area %s filter shows %s", area, id)
		}
	}

	// Level, then profile, then both with an area: each select narrows
	// the rows to exactly the requirements that match all of them.
	pick := func(area, level, profile string) []string {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(() => {
			for (const [id, v] of [["f-area", %q], ["f-level", %q], ["f-profile", %q]]) {
				const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event("change", {bubbles: true}));
			}
		})()`, area, level, profile), nil)); err != nil {
			t.Fatal(err)
		}
		got, err := visibleRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	matching := func(area, level, profile string) []string {
		var ids []string
		for _, q := range s.Requirements {
			if (area == "" || q.Area == area) && (level == "" || q.Level == level) && (profile == "" || q.Profile == profile) {
				ids = append(ids, q.ID)
			}
		}
		return ids
	}
	last := s.Requirements[len(s.Requirements)-1]
	for _, c := range [][3]string{
		{"", model.LevelShould, ""},
		{"", model.LevelMust, ""},
		{"", "", last.Profile},
		{"", "", "pqc"},
		{last.Area, last.Level, last.Profile},
		{"", "", ""},
	} {
		got, w := pick(c[0], c[1], c[2]), matching(c[0], c[1], c[2])
		if !slices.Equal(got, w) {
			t.Errorf("area %q level %q profile %q: %d rows shown, want %d", c[0], c[1], c[2], len(got), len(w))
		}
		if len(w) == 0 {
			t.Errorf("area %q level %q profile %q selects no requirement: the case proves nothing", c[0], c[1], c[2])
		}
	}
}

func testKeyboard(t *testing.T, ctx context.Context, base string) {
	var first, afterSkip string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"index.html"),
		chromedp.WaitReady("body", chromedp.ByQuery),
		chromedp.KeyEvent(kb.Tab),
		chromedp.Evaluate(`document.activeElement.className + ":" + document.activeElement.getAttribute("href")`, &first),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Sleep(100*time.Millisecond),
		chromedp.Evaluate(`document.activeElement.id`, &afterSkip),
	); err != nil {
		t.Fatal(err)
	}
	if first != "skip:#main" {
		t.Errorf("first Tab focuses %q, want the skip link", first)
	}
	if afterSkip != "main" {
		t.Errorf("after the skip link, focus is on %q, want main", afterSkip)
	}
	var outline string
	if err := chromedp.Run(ctx,
		chromedp.Focus(`nav a[href="protocol/index.html"]`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.activeElement).outlineStyle`, &outline),
	); err != nil {
		t.Fatal(err)
	}
	if outline == "none" || outline == "" {
		t.Errorf("a focused link shows no outline (%q)", outline)
	}
}

func testScreenshots(t *testing.T, ctx context.Context, base string, s *model.Spec, dir string) {
	cmd := s.Commands[0].Name
	if c := s.Command("GenerateKey"); c != nil {
		cmd = c.Name
	}
	for name, p := range map[string]string{
		"home.png":         "index.html",
		"command.png":      "protocol/commands/" + cmd + ".html",
		"conformance.png":  "conformance/index.html",
		"states.png":       "protocol/states.html",
		"requirements.png": "requirements/index.html",
		"architecture.png": "architecture/index.html",
		"evidence.png":     "evidence/index.html",
	} {
		// The whole page, and the first screenful as a reader first sees it.
		var full, top []byte
		if err := chromedp.Run(ctx,
			chromedp.Navigate(base+p),
			chromedp.WaitReady("body", chromedp.ByQuery),
			chromedp.FullScreenshot(&full, 100),
			chromedp.CaptureScreenshot(&top),
		); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		writePNG(t, filepath.Join(dir, name), full)
		writePNG(t, filepath.Join(dir, strings.TrimSuffix(name, ".png")+"-top.png"), top)
	}
	// The ones a reviewer looks at first must be there, from this run.
	for _, name := range []string{"home.png", "command.png", "conformance.png"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
	t.Logf("screenshots in %s", dir)
}

// testPhone loads every page at a phone's width and checks that nothing
// but the scrollable regions (tables, code, diagrams) is wider than the
// screen.
func testPhone(t *testing.T, ctx context.Context, base string, pages map[string]bool, shots string) {
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(390, 844, 2, true)); err != nil {
		t.Fatal(err)
	}
	defer chromedp.Run(ctx, emulation.ClearDeviceMetricsOverride())
	var names []string
	for p := range pages {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		var overflow int
		if err := chromedp.Run(ctx,
			chromedp.Navigate(base+p),
			chromedp.WaitReady("body", chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth - window.innerWidth`, &overflow),
		); err != nil {
			t.Fatal(err)
		}
		if overflow > 0 {
			t.Errorf("%s is %dpx wider than a 390px screen", p, overflow)
		}
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"index.html"), chromedp.WaitReady("body", chromedp.ByQuery), chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(shots, "home-phone.png"), png)
}

// testNoScript checks the requirements page without JavaScript: the filter
// form stays hidden and every row shows.
func testNoScript(t *testing.T, ctx context.Context, base string, s *model.Spec) {
	if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(true)); err != nil {
		t.Fatal(err)
	}
	defer chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(false))
	var nodes int
	var formShown bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"requirements/index.html"),
		chromedp.WaitReady("#req-table", chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	// Script execution is off for the page, not for the test's own calls.
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#req-table tbody tr")).filter(r => r.offsetParent !== null).length`, &nodes),
		chromedp.Evaluate(`document.getElementById("req-filter").offsetParent !== null`, &formShown),
	); err != nil {
		t.Fatal(err)
	}
	if nodes != len(s.Requirements) {
		t.Errorf("without JavaScript %d rows show, want %d", nodes, len(s.Requirements))
	}
	if formShown {
		t.Error("without JavaScript the filter form shows although it cannot work")
	}
}
