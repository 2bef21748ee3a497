package build

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/openihsm/openihsm/evidence/intoto"
)

// DefaultPackage is the command built by default: the ihsm CLI, whose
// `ihsm serve` runs the reference HSM.
const DefaultPackage = "./cmd/ihsm"

// FirmwareTag is the build tag of the reference HSM's firmware build: the
// ihsm command with `ihsm serve` and `ihsm version` only, without the
// conformance suite, its test vectors or the evidence and site tooling. The
// default package is built with it, so what the evidence attests, what its
// SBOM lists and what the running device measures is the device alone.
const FirmwareTag = "ihsmfirmware"

// VCS stamping modes.
const (
	VCSAuto = "auto" // stamp when Dir is inside a git work tree that is not a linked worktree
	VCSOn   = "on"
	VCSOff  = "off"
)

// Options configure Build.
type Options struct {
	Dir     string // module root to build in (required)
	Package string // package to build; DefaultPackage when empty
	// Tags are the build tags (go build -tags); when Package is empty too,
	// [FirmwareTag].
	Tags []string
	// OutDir receives the binary of the first build; a temporary directory
	// is used when empty (the caller then owns Result.Binary's directory).
	OutDir string
	// Name is the binary's file name; the package's last element when empty.
	Name string
	// SourceDateEpoch in seconds; negative means "the commit time of HEAD"
	// (git), which is an error outside a git work tree.
	SourceDateEpoch int64
	VCS             string // VCSAuto when empty
	// FreshCache runs the second build with an empty GOCACHE, so that it
	// compiles everything again instead of reusing the first build's work.
	FreshCache bool
	// AllowModified builds a git work tree that has uncommitted changes
	// (git status --porcelain is not empty). Without it such a tree is
	// refused: its binary records the commit but cannot be rebuilt from it.
	AllowModified bool
	// Stderr receives the go command's output; discarded when nil.
	Stderr io.Writer
}

// Result reports both builds.
type Result struct {
	Binary          string            // the first build's binary
	Digests         map[string]string // sha256/sha384/sha512 of the first build
	SecondDigests   map[string]string // of the second build
	Reproduced      bool              // the two binaries are identical
	Args            []string          // the go command line (both builds)
	Tags            []string          // the build tags in Args
	Env             []string          // variables set for the builds
	GoVersion       string            // `go env GOVERSION`
	GOOS, GOARCH    string            // the target platform (`go env`)
	SourceDateEpoch int64
	Commit          string // git HEAD when in a work tree
	// Modified reports uncommitted changes in the work tree: the binary's
	// vcs.modified setting when it is stamped, else git status.
	Modified bool
	// VCSStamped reports whether the binary carries vcs.revision, read
	// back from its build information: cmd/go does not stamp every git
	// layout (a linked worktree, for one) even with -buildvcs=true.
	VCSStamped bool
	FreshCache bool
	Started    time.Time
	Finished   time.Time
}

// Build builds the package twice and compares the outputs.
func Build(ctx context.Context, o Options) (Result, error) {
	var r Result
	if o.Dir == "" {
		return r, errors.New("build: no source directory")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return r, fmt.Errorf("build: %w", err)
	}
	if o.Package == "" {
		o.Package = DefaultPackage
		if o.Tags == nil {
			o.Tags = []string{FirmwareTag}
		}
	}
	for _, t := range o.Tags {
		if t == "" || strings.ContainsAny(t, ", \t") {
			return r, fmt.Errorf("build: build tag %q", t)
		}
	}
	r.Tags = o.Tags
	if o.Name == "" {
		// go build names a command after the last element of its import
		// path, which a relative package such as "." does not show.
		ip, err := goOutput(ctx, dir, "list", "-f", "{{.ImportPath}}", o.Package)
		if err != nil {
			return r, err
		}
		o.Name = path.Base(ip)
		if runtime.GOOS == "windows" {
			o.Name += ".exe"
		}
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	r.Commit, _ = git(ctx, dir, "rev-parse", "HEAD")
	inGit := r.Commit != ""
	if inGit {
		// cmd/go sets vcs.modified from the same command.
		st, err := git(ctx, dir, "status", "--porcelain")
		if err != nil {
			return r, fmt.Errorf("build: git status: %w", err)
		}
		r.Modified = st != ""
		if r.Modified && !o.AllowModified {
			return r, fmt.Errorf("%w: %s at %s (git status --porcelain lists %d paths)", ErrModified, dir, r.Commit, len(strings.Split(st, "\n")))
		}
	}
	// cmd/go takes only a .git directory for a repository root: in a
	// linked worktree (.git is a file) it stamps nothing, or the commit
	// of an enclosing repository, so such a tree is built unstamped.
	linked := inGit && linkedWorktree(ctx, dir)
	switch o.VCS {
	case "", VCSAuto:
		r.VCSStamped = inGit && !linked
	case VCSOn:
		if !inGit {
			return r, fmt.Errorf("build: VCS stamping requested but %s is not in a git work tree", dir)
		}
		if linked {
			return r, fmt.Errorf("build: VCS stamping requested but %s is a linked git worktree, which cmd/go does not stamp", dir)
		}
		r.VCSStamped = true
	case VCSOff:
	default:
		return r, fmt.Errorf("build: VCS mode %q", o.VCS)
	}
	r.SourceDateEpoch = o.SourceDateEpoch
	if r.SourceDateEpoch < 0 {
		if !inGit {
			return r, errors.New("build: SOURCE_DATE_EPOCH not given and the source is not a git work tree")
		}
		ct, err := git(ctx, dir, "log", "-1", "--format=%ct")
		if err != nil {
			return r, fmt.Errorf("build: commit time: %w", err)
		}
		if r.SourceDateEpoch, err = strconv.ParseInt(ct, 10, 64); err != nil {
			return r, fmt.Errorf("build: commit time %q: %w", ct, err)
		}
	}
	goEnv, err := goOutput(ctx, dir, "env", "GOVERSION", "GOOS", "GOARCH")
	if err != nil {
		return r, err
	}
	if f := strings.Split(goEnv, "\n"); len(f) == 3 {
		r.GoVersion, r.GOOS, r.GOARCH = f[0], f[1], f[2]
	} else {
		return r, fmt.Errorf("build: go env printed %q", goEnv)
	}
	r.Env = []string{"CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local", "SOURCE_DATE_EPOCH=" + strconv.FormatInt(r.SourceDateEpoch, 10)}
	r.Args = []string{"go", "build", "-trimpath", "-buildvcs=" + strconv.FormatBool(r.VCSStamped), "-ldflags=-buildid="}
	if len(r.Tags) > 0 {
		r.Args = append(r.Args, "-tags="+strings.Join(r.Tags, ","))
	}
	r.Args = append(r.Args, "-o", "<out>/"+o.Name, o.Package)
	r.FreshCache = o.FreshCache

	tmp, err := os.MkdirTemp("", "ihsm-repro-")
	if err != nil {
		return r, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)
	first := o.OutDir
	if first == "" {
		if first, err = os.MkdirTemp("", "ihsm-build-"); err != nil {
			return r, fmt.Errorf("build: %w", err)
		}
	} else {
		// go build runs in dir: a relative output directory is the
		// caller's, not the source tree's.
		if first, err = filepath.Abs(first); err != nil {
			return r, fmt.Errorf("build: %w", err)
		}
		if err := os.MkdirAll(first, 0o755); err != nil {
			return r, fmt.Errorf("build: %w", err)
		}
	}
	second := filepath.Join(tmp, "second")
	r.Started = time.Now().UTC()
	if err := r.run(ctx, dir, first, o, ""); err != nil {
		return r, err
	}
	cache := ""
	if o.FreshCache {
		cache = filepath.Join(tmp, "gocache")
	}
	if err := r.run(ctx, dir, second, o, cache); err != nil {
		return r, err
	}
	r.Finished = time.Now().UTC()
	r.Binary = filepath.Join(first, o.Name)
	if r.Digests, err = fileDigests(r.Binary); err != nil {
		return r, err
	}
	if r.SecondDigests, err = fileDigests(filepath.Join(second, o.Name)); err != nil {
		return r, err
	}
	r.Reproduced = len(r.Digests) == 3
	for k, v := range r.Digests {
		r.Reproduced = r.Reproduced && r.SecondDigests[k] == v
	}
	vcs, err := ReadVCS(r.Binary)
	if err != nil {
		return r, err
	}
	if o.VCS == VCSOn && vcs.Revision != r.Commit {
		return r, fmt.Errorf("build: VCS stamping requested but the binary records revision %q, not %s", vcs.Revision, r.Commit)
	}
	r.VCSStamped = vcs.Revision != ""
	if r.VCSStamped {
		if vcs.Revision != r.Commit {
			return r, fmt.Errorf("build: the binary records revision %s, git HEAD is %s (did HEAD move during the build?)", vcs.Revision, r.Commit)
		}
		if vcs.Modified && !r.Modified {
			return r, fmt.Errorf("%w: the binary records vcs.modified=true (did the tree change during the build?)", ErrModified)
		}
		r.Modified = vcs.Modified
	}
	return r, nil
}

// linkedWorktree reports whether dir is in a linked git worktree (its git
// directory is not the repository's common one).
func linkedWorktree(ctx context.Context, dir string) bool {
	gitDir, err1 := git(ctx, dir, "rev-parse", "--path-format=absolute", "--git-dir")
	common, err2 := git(ctx, dir, "rev-parse", "--path-format=absolute", "--git-common-dir")
	return err1 == nil && err2 == nil && filepath.Clean(gitDir) != filepath.Clean(common)
}

// ErrModified is returned for a source tree with uncommitted changes.
var ErrModified = errors.New("build: the source tree has uncommitted changes; commit them, or allow a modified tree explicitly")

// VCS is the version control information cmd/go stamps into a binary.
type VCS struct {
	Revision string // vcs.revision, "" when not stamped
	Modified bool   // vcs.modified
}

// ReadVCS reads the vcs.revision and vcs.modified settings of a Go binary.
func ReadVCS(path string) (VCS, error) {
	var v VCS
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return v, fmt.Errorf("build: %w", err)
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v, nil
}

func (r *Result) run(ctx context.Context, dir, out string, o Options, cache string) error {
	args := append([]string{}, r.Args[1:]...)
	for i, a := range args {
		if a == "<out>/"+o.Name {
			args[i] = filepath.Join(out, o.Name)
		}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = buildEnv(r.Env, cache)
	cmd.Stdout = o.Stderr
	cmd.Stderr = o.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build: go build %s: %w", o.Package, err)
	}
	return nil
}

// buildEnv is the process environment without the variables the build
// fixes, then those variables.
func buildEnv(set []string, cache string) []string {
	fixed := map[string]bool{}
	for _, kv := range set {
		fixed[kv[:strings.IndexByte(kv, '=')]] = true
	}
	if cache != "" {
		fixed["GOCACHE"] = true
		set = append(set, "GOCACHE="+cache)
	}
	var env []string
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 && fixed[kv[:i]] {
			continue
		}
		env = append(env, kv)
	}
	return append(env, set...)
}

func fileDigests(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer f.Close()
	return intoto.Digests(f)
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = buildEnv([]string{"GOFLAGS=", "GOTOOLCHAIN=local"}, "")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build: go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out.String()), nil
}
