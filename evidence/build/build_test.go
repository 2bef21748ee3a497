package build

import (
	"context"
	"debug/buildinfo"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
			r, err := Build(context.Background(), Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/hello", OutDir: out, SourceDateEpoch: 1700000000, VCS: vcs, AllowModified: true})
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
	r, err := Build(context.Background(), Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/hello", OutDir: t.TempDir(), SourceDateEpoch: 0, VCS: VCSOff, FreshCache: true, AllowModified: true})
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
	if _, err := Build(ctx, Options{Dir: moduleRoot(t), Package: "./evidence/build/testdata/missing", OutDir: t.TempDir(), VCS: VCSOff, AllowModified: true}); err == nil {
		t.Error("missing package built")
	}
	if _, err := Build(ctx, Options{Dir: moduleRoot(t), VCS: "sometimes", AllowModified: true}); err == nil {
		t.Error("unknown VCS mode accepted")
	}
	if _, err := Build(ctx, Options{Dir: t.TempDir(), SourceDateEpoch: -1}); err == nil {
		t.Error("commit time outside git accepted")
	}
}

// gitModule makes a one-file module in a new git repository with one
// commit and returns its directory.
func gitModule(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tree\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// TestBuildModifiedTree refuses a work tree with uncommitted changes unless
// told otherwise, and then reports it as the binary records it.
func TestBuildModifiedTree(t *testing.T) {
	ctx := context.Background()
	dir := gitModule(t)
	r, err := Build(ctx, Options{Dir: dir, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000})
	if err != nil {
		t.Fatal(err)
	}
	if r.Modified || r.Commit == "" {
		t.Fatalf("clean tree: modified %v, commit %q", r.Modified, r.Commit)
	}
	if v, err := ReadVCS(r.Binary); err != nil || v.Revision != r.Commit || v.Modified {
		t.Fatalf("binary of a clean tree records %+v (%v), want revision %s unmodified", v, err, r.Commit)
	}
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println() }\n"), 0o644)
	if _, err := Build(ctx, Options{Dir: dir, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000}); !errors.Is(err, ErrModified) {
		t.Fatalf("modified tree: %v, want ErrModified", err)
	}
	r, err = Build(ctx, Options{Dir: dir, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000, AllowModified: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Modified {
		t.Fatal("modified tree built with AllowModified is not reported as modified")
	}
	if v, _ := ReadVCS(r.Binary); !v.Modified {
		t.Fatal("the binary of a modified tree does not record vcs.modified")
	}
	// An untracked file modifies the tree as cmd/go sees it.
	dir = gitModule(t)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	if _, err := Build(ctx, Options{Dir: dir, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000}); !errors.Is(err, ErrModified) {
		t.Fatalf("tree with an untracked file: %v, want ErrModified", err)
	}
}

// TestBuildRelativeOutDir puts the binary under the caller's working
// directory, not under the source tree the build runs in.
func TestBuildRelativeOutDir(t *testing.T) {
	dir := gitModule(t)
	work := t.TempDir()
	t.Chdir(work)
	r, err := Build(context.Background(), Options{Dir: dir, Package: ".", Name: "tree", OutDir: filepath.Join("rel", "bin"), SourceDateEpoch: 1700000000})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(work, "rel", "bin", "tree")
	if got, _ := filepath.EvalSymlinks(r.Binary); got != want {
		if _, err := os.Stat(want); err != nil {
			t.Fatalf("binary at %s, want %s", r.Binary, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rel")); err == nil {
		t.Fatal("the build wrote into the source tree")
	}
}

// TestBuildLinkedWorktree: a linked worktree is built unstamped in auto
// mode (cmd/go would stamp nothing or an enclosing repository's commit),
// and refused in on mode; the commit is still known.
func TestBuildLinkedWorktree(t *testing.T) {
	dir := gitModule(t)
	wt := filepath.Join(t.TempDir(), "wt")
	cmd := exec.Command("git", "worktree", "add", "-q", "--detach", wt)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git worktree add: %v\n%s", err, out)
	}
	ctx := context.Background()
	r, err := Build(ctx, Options{Dir: wt, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000})
	if err != nil {
		t.Fatal(err)
	}
	if r.VCSStamped || r.Commit == "" || !strings.Contains(strings.Join(r.Args, " "), "-buildvcs=false") {
		t.Fatalf("linked worktree: stamped %v, commit %q, args %v", r.VCSStamped, r.Commit, r.Args)
	}
	clone, err := Build(ctx, Options{Dir: dir, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000, VCS: VCSOff})
	if err != nil {
		t.Fatal(err)
	}
	if clone.Digests["sha384"] != r.Digests["sha384"] {
		t.Error("an unstamped build of the main work tree differs from the linked worktree's")
	}
	if _, err := Build(ctx, Options{Dir: wt, Package: ".", Name: "tree", OutDir: t.TempDir(), SourceDateEpoch: 1700000000, VCS: VCSOn}); err == nil {
		t.Error("VCS stamping of a linked worktree accepted")
	}
}
