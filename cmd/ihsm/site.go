package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/openihsm/openihsm/site/build"
	"github.com/openihsm/openihsm/site/linkcheck"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/specgen"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

const siteUsage = `usage:
  ihsm site build --out DIR [--spec DIR] [--conformance DIR] [--evidence DIR] [--previous-spec DIR]
  ihsm site serve [--addr 127.0.0.1:8080] [--dir DIR]

build renders the documentation site from the spec (the embedded one unless
--spec names a directory, whose vectors and JSON Schemas are then generated
from it), the conformance output of "ihsm conform --out",
the evidence directory of "ihsm evidence build --out" and, for the
changelog, the previous version of the spec; then checks every link of the
output. serve serves a built site on a loopback address.`

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
	prevDir := flags.String("previous-spec", "", "previous spec directory, for the changelog")
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
		if in.Previous, err = loadDir(*prevDir); err != nil {
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
