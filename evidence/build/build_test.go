package build

import (
	"context"
	"debug/buildinfo"
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/evidence/intoto"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	return root
}

func settings(t *testing.T, path string) map[string]string {
	t.Helper()
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, s := range bi.Settings {
		m[s.Key] = s.Value
	}
	return m
}

func TestBuildTwiceReproduces(t *testing.T) {
	for _, vcs := range []string{VCSOff, VCSAuto} {
		t.Run(vcs, func(t *testing.T) {
			out := t.TempDir()
			r, err := Build(context.Background(), Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/hello", OutDir: out, SourceDateEpoch: 1700000000, VCS: vcs})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Reproduced {
				t.Fatalf("not reproduced: %v vs %v", r.Digests, r.SecondDigests)
			}
			f, err := os.Open(r.Binary)
			if err != nil {
				t.Fatal(err)
			}
			d, err := intoto.Digests(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if d["sha384"] != r.Digests["sha384"] || filepath.Dir(r.Binary) != out {
				t.Fatal("result does not describe the binary in OutDir")
			}
			s := settings(t, r.Binary)
			// With -trimpath, cmd/go leaves -ldflags out of the build
			// information (it may hold paths); provenance records it.
			if s["-trimpath"] != "true" || s["CGO_ENABLED"] != "0" {
				t.Fatalf("build settings %v", s)
			}
			if r.VCSStamped != (s["vcs.revision"] != "") || (r.VCSStamped && s["vcs.revision"] != r.Commit) {
				t.Fatalf("stamped %v, commit %s, settings %v", r.VCSStamped, r.Commit, s)
			}
			// cmd/go stamps a main work tree (.git is a directory), not a
			// linked worktree (.git is a file).
			gitDir, err := os.Stat(filepath.Join(moduleRoot(t), ".git"))
			if vcs == VCSAuto && r.Commit != "" && err == nil && gitDir.IsDir() && !r.VCSStamped {
				t.Fatal("auto mode did not stamp inside a git work tree")
			}
		})
	}
}

func TestBuildFreshCache(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the standard library from scratch")
	}
	r, err := Build(context.Background(), Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/hello", OutDir: t.TempDir(), SourceDateEpoch: 0, VCS: VCSOff, FreshCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reproduced || !r.FreshCache {
		t.Fatalf("fresh-cache rebuild differs: %v vs %v", r.Digests, r.SecondDigests)
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Build(ctx, Options{}); err == nil {
		t.Error("no directory accepted")
	}
	if _, err := Build(ctx, Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/missing", OutDir: t.TempDir(), VCS: VCSOff}); err == nil {
		t.Error("missing package built")
	}
	if _, err := Build(ctx, Options{Dir: moduleRoot(t), VCS: "sometimes"}); err == nil {
		t.Error("unknown VCS mode accepted")
	}
	if _, err := Build(ctx, Options{Dir: t.TempDir(), SourceDateEpoch: -1}); err == nil {
		t.Error("commit time outside git accepted")
	}
}
