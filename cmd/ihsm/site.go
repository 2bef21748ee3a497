//go:build !ihsmfirmware

package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/site/build"
	"github.com/openihsm/openihsm/site/linkcheck"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/specgen"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

const siteUsage = `usage:
  ihsm site build --out DIR [--spec DIR] [--conformance DIR] [--evidence DIR]
                  [--previous-spec DIR|git:REF|git:latest-tag] [--features DIR]
  ihsm site serve [--addr 127.0.0.1:8080] [--dir DIR]

build renders the documentation site from the spec (the embedded one unless
--spec names a directory, whose vectors and JSON Schemas are then generated
from it), the conformance output of "ihsm conform --out",
the evidence directory of "ihsm evidence build --out", the scenarios of the
feature bundle (the embedded one unless --features names a directory) and,
for the changelog, the previous version of the spec; then checks every link
of the output. serve serves a built site on a loopback address.`

func runSite(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, siteUsage)
		return exitError{2}
	}
	switch args[0] {
	case "build":
		return runSiteBuild(args[1:], stdout, stderr)
	case "serve":
		return runSiteServe(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, siteUsage)
		return nil
	}
	fmt.Fprintf(stderr, "ihsm site: unknown subcommand %q\n%s\n", args[0], siteUsage)
	return exitError{2}
}

func siteFlags(name string, stderr io.Writer) *flag.FlagSet {
	flags := flag.NewFlagSet("ihsm site "+name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, siteUsage) }
	return flags
}

func runSiteBuild(args []string, stdout, stderr io.Writer) error {
	flags := siteFlags("build", stderr)
	out := flags.String("out", "", "output directory (created; an earlier site there is replaced)")
	specDir := flags.String("spec", "", "spec directory (default: the embedded spec)")
	confDir := flags.String("conformance", "", "conformance output directory holding conformance-report.json")
	evDir := flags.String("evidence", "", "evidence directory of a release")
	prevDir := flags.String("previous-spec", "", "previous spec, for the changelog: a directory, git:REF for the spec/ of a git commit or tag, or git:latest-tag")
	featDir := flags.String("features", "", "feature bundle directory whose scenario tags the requirements index links (default: the embedded bundle)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if *out == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, siteUsage)
		return exitError{2}
	}
	var in build.Input
	var err error
	if *specDir != "" {
		in.Spec, err = loadDir(*specDir)
	} else {
		in.Spec, err = model.Load(spec.FS)
	}
	if err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	if *prevDir != "" {
		if in.Previous, in.PreviousName, err = previousSpec(*prevDir); err != nil {
			return fmt.Errorf("previous spec: %w", err)
		}
	}
	if *specDir != "" {
		// The embedded vectors and schemas are those of the embedded spec;
		// the site of another spec shows its own, generated here.
		if in.Vectors, in.Schemas, err = generated(*specDir); err != nil {
			return err
		}
	} else {
		if in.Vectors, err = vectors.All(); err != nil {
			return err
		}
		in.Schemas = wire.SchemaFS
	}
	if in.Scenarios, err = bundleScenarios(*featDir); err != nil {
		return err
	}
	if *confDir != "" {
		if in.Conformance, err = build.LoadConformance(*confDir); err != nil {
			return err
		}
	}
	if *evDir != "" {
		if in.Evidence, err = build.LoadEvidence(*evDir); err != nil {
			return err
		}
	}
	if err := build.Build(*out, in); err != nil {
		return err
	}
	res, err := linkcheck.Check(os.DirFS(*out))
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stderr, p)
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("%d broken link(s) in %s", len(res.Problems), *out)
	}
	abs, err := filepath.Abs(filepath.Join(*out, "index.html"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "site: %d pages, %d links checked; open file://%s\n", res.Pages, res.Links, filepath.ToSlash(abs))
	return nil
}

// generated returns the test vectors and JSON Schemas of the spec in dir,
// generated in memory by spec/specgen as go generate would write them, laid
// out as vectors.FS and wire.SchemaFS are.
func generated(dir string) ([]vectors.Vector, fs.FS, error) {
	s, err := loadDir(dir) // a fresh copy: the generator orders what it reads
	if err != nil {
		return nil, nil, fmt.Errorf("spec: %w", err)
	}
	files, err := specgen.Generate(s)
	if err != nil {
		return nil, nil, fmt.Errorf("spec %s: its vectors and JSON Schemas cannot be generated, so the site would show another spec's: %w", dir, err)
	}
	vecFS, schemaFS := fstest.MapFS{}, fstest.MapFS{}
	for _, f := range files {
		switch {
		case strings.HasPrefix(f.Path, "vectors/data/"):
			vecFS[strings.TrimPrefix(f.Path, "vectors/")] = &fstest.MapFile{Data: f.Data}
		case strings.HasPrefix(f.Path, "wire/schema/"):
			schemaFS[strings.TrimPrefix(f.Path, "wire/")] = &fstest.MapFile{Data: f.Data}
		}
	}
	vs, err := vectors.Parse(vecFS)
	if err != nil {
		return nil, nil, fmt.Errorf("spec %s: generated vectors: %w", dir, err)
	}
	return vs, schemaFS, nil
}

// previousSpec loads the spec the changelog compares with: a directory, or
// the spec/ directory of a git commit or tag of the repository the command
// runs in (git:REF), or of its latest tag (git:latest-tag). It returns a
// nil spec and the reason when there is no tag yet: the spec has no
// earlier version.
func previousSpec(arg string) (*model.Spec, string, error) {
	ref, isGit := strings.CutPrefix(arg, "git:")
	if !isGit {
		s, err := loadDir(arg)
		return s, "directory " + arg, err
	}
	if ref == "latest-tag" {
		out, err := exec.Command("git", "describe", "--tags", "--abbrev=0").Output()
		if err != nil {
			if _, isExit := err.(*exec.ExitError); isExit {
				return nil, "the repository has no release tag yet", nil
			}
			return nil, "", fmt.Errorf("git describe: %w", err)
		}
		ref = strings.TrimSpace(string(out))
	}
	dir, err := os.MkdirTemp("", "ihsm-previous-spec-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	if err := extractSpec(ref, dir); err != nil {
		return nil, "", err
	}
	s, err := loadDir(dir)
	if err != nil {
		return nil, "", fmt.Errorf("spec/ at %s: %w", ref, err)
	}
	return s, "git " + ref, nil
}

// extractSpec writes the YAML and JSON Schema files of spec/ at git ref
// into dir, read with git archive.
func extractSpec(ref, dir string) error {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return fmt.Errorf("git:%s needs a git work tree: %w", ref, err)
	}
	cmd := exec.Command("git", "archive", "--format=tar", ref, "spec")
	cmd.Dir = strings.TrimSpace(string(top))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git archive %s spec: %v: %s", ref, err, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(bytes.NewReader(out))
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("git archive %s: %w", ref, err)
		}
		rel, ok := strings.CutPrefix(h.Name, "spec/")
		if !ok || h.Typeflag != tar.TypeReg || !(strings.HasSuffix(rel, ".yaml") || strings.HasPrefix(rel, "schema/")) || strings.Contains(rel, "..") {
			continue
		}
		// Only the spec's own files: the YAML of its areas and schema/.
		if d := path.Dir(rel); d != "." && d != "commands" && d != "requirements" && d != "architecture" && d != "schema" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(tr, 16<<20))
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s has no spec/ directory", ref)
	}
	return nil
}

// bundleScenarios parses the feature bundle in dir, or the embedded one.
func bundleScenarios(dir string) ([]build.Scenario, error) {
	var fsys fs.FS = features.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	pickles, _, err := runner.ParseFeatures(fsys)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	out := make([]build.Scenario, 0, len(pickles))
	for _, p := range pickles {
		out = append(out, build.Scenario{ID: p.ID(), Name: p.Name, Feature: p.URI, Tags: p.Tags})
	}
	return out, nil
}

func runSiteServe(args []string, stdout, stderr io.Writer) error {
	flags := siteFlags("serve", stderr)
	addr := flags.String("addr", "127.0.0.1:8080", "loopback address to listen on")
	dir := flags.String("dir", "out/site", "built site directory")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if flags.NArg() > 0 {
		fmt.Fprintln(stderr, siteUsage)
		return exitError{2}
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %s: the site is served on loopback only", *addr)
	}
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		return fmt.Errorf("%s holds no built site (run ihsm site build --out %s): %w", *dir, *dir, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(*dir)), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	fmt.Fprintf(stdout, "serving %s at http://%s/ (Ctrl-C to stop)\n", *dir, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
