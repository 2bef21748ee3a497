package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"sort"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/steps"
	"github.com/openihsm/openihsm/spec/model"
)

// Digest is "sha256:" and the SHA-256 over the sorted file names, sizes
// and contents of fsys: the spec digest a report records.
func Digest(fsys fs.FS) (string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// suiteOf identifies the suite that runs: its build, the spec it speaks,
// and the digests of its feature bundle, its step vocabulary and the
// executable running it, folded into one suite digest.
func suiteOf(sp *model.Spec, featuresDigest string) (report.Suite, error) {
	h := sha256.New()
	for _, p := range steps.Patterns() {
		fmt.Fprintf(h, "%s\n", p)
	}
	s := report.Suite{
		Name: "OpenIHSM conformance", Version: buildVersion(), SpecVersion: sp.Meta.Version,
		APIRevision:    fmt.Sprintf("%d.%d", sp.Meta.APIRevision.Major, sp.Meta.APIRevision.Minor),
		FeaturesDigest: featuresDigest, StepsDigest: "sha256:" + hex.EncodeToString(h.Sum(nil)),
	}
	bin, err := executableDigest()
	if err != nil {
		return s, fmt.Errorf("runner: digest of the suite's executable: %w", err)
	}
	s.BinaryDigest = bin
	d := sha256.New()
	fmt.Fprintf(d, "features\x00%s\x00steps\x00%s\x00binary\x00%s", s.FeaturesDigest, s.StepsDigest, s.BinaryDigest)
	s.Digest = "sha256:" + hex.EncodeToString(d.Sum(nil))
	return s, nil
}

// executableDigest is the SHA-256 of the running executable (ihsm, or a
// test binary).
func executableDigest() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// buildVersion is the module version and VCS revision the suite was built
// from, "devel" when the build records neither.
func buildVersion() string {
	v := "devel"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "-dirty"
		}
	}
	return v
}
