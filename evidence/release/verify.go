package release

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	slsav1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	trv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/sfr"
	"github.com/openihsm/openihsm/sbom"
)

// LinkError names the first link of the chain that did not hold.
type LinkError struct {
	Link string // e.g. "manifest signature", "file attestations/sbom.dsse.json"
	Err  error
}

func (e *LinkError) Error() string { return e.Link + ": " + e.Err.Error() }
func (e *LinkError) Unwrap() error { return e.Err }

// Sentinel causes carried by LinkError.
var (
	ErrSignature     = errors.New("signature does not verify with the pinned keys")
	ErrDigest        = errors.New("digest does not match the file")
	ErrMissing       = errors.New("missing")
	ErrSubject       = errors.New("subject is not this binary")
	ErrCrossCheck    = errors.New("cross-check failed")
	ErrTestNotPassed = errors.New("test result is not PASSED")
	// ErrModifiedSource: built from uncommitted changes, which the trust
	// policy does not allow.
	ErrModifiedSource = errors.New("built from a work tree with uncommitted changes")
)

// Links of the evidence chain a Check belongs to (Check.Chain).
const (
	ChainSubject      = "subject"            // signed manifest, file digests, attestations about the binary
	ChainProvenance   = "provenance"         // SLSA provenance
	ChainSBOM         = "sbom"               // SPDX SBOM and its attestation
	ChainTests        = "tests"              // test-result attestations and their inputs
	ChainReproducible = "reproducible-build" // the second build
	ChainBuildLink    = "build-link"         // the in-toto link of the build step
	ChainSFR          = "sfr"                // OCP SAFE short-form report
	ChainDevice       = "device"             // a running device's attested firmware
)

// Check is one verified link.
type Check struct {
	Link   string `json:"link"`  // what was checked, e.g. "sbom sbom.spdx.json"
	Chain  string `json:"chain"` // the chain link it belongs to (Chain*)
	Detail string `json:"detail"`
}

// Summary is the outcome of a successful verification.
type Summary struct {
	Dir          string // the evidence directory verified
	Subject      File
	SourceCommit string
	Checks       []Check
	Attestations []File
	SFR          *sfr.Verified
	Device       *DeviceResult // set by VerifyDevice
}

type verifier struct {
	ctx    context.Context
	dir    string
	trust  *Trust
	m      *Manifest
	sum    *Summary
	states map[string]*intoto.Verified // attestation path → statement
	// materials of the verified build link (paths relative to the module
	// root) and the module path the binary records.
	materials []string
	modPath   string
	// modules the subject binary links (see linked)
	modules []sbom.Module
}

func (v *verifier) ok(chain, link, format string, a ...any) {
	v.sum.Checks = append(v.sum.Checks, Check{Link: link, Chain: chain, Detail: fmt.Sprintf(format, a...)})
}

func fail(link string, err error, format string, a ...any) error {
	if format != "" {
		err = fmt.Errorf("%w: %s", err, fmt.Sprintf(format, a...))
	}
	return &LinkError{Link: link, Err: err}
}

// Verify checks the evidence directory against the trust policy, offline,
// and returns the summary or the first broken link (*LinkError).
func Verify(ctx context.Context, dir string, t *Trust) (*Summary, error) {
	v := &verifier{ctx: ctx, dir: dir, trust: t, sum: &Summary{Dir: dir}, states: map[string]*intoto.Verified{}}
	for _, step := range []func() error{v.manifest, v.files, v.attestations, v.predicates, v.provenance, v.source, v.sbom, v.link, v.tests, v.reproduced, v.sfr} {
		if err := step(); err != nil {
			return v.sum, err
		}
	}
	return v.sum, nil
}

// manifest: the signed manifest is exactly the manifest file.
func (v *verifier) manifest() error {
	const link = "manifest " + ManifestEnvelope
	envData, err := os.ReadFile(filepath.Join(v.dir, ManifestEnvelope))
	if err != nil {
		return fail(link, ErrMissing, "%v", err)
	}
	env, err := dsse.Parse(envData)
	if err != nil {
		return fail(link, err, "")
	}
	signed, err := dsse.Verify(v.ctx, env, v.trust.producerThreshold(), v.trust.producerKeys...)
	if err != nil {
		return fail(link, ErrSignature, "%v", err)
	}
	if signed.PayloadType != ManifestPayloadType {
		return fail(link, ErrCrossCheck, "payloadType %q", signed.PayloadType)
	}
	data, err := os.ReadFile(filepath.Join(v.dir, ManifestFile))
	if err != nil {
		return fail("manifest "+ManifestFile, ErrMissing, "%v", err)
	}
	if string(data) != string(signed.Payload) {
		return fail("manifest "+ManifestFile, ErrDigest, "differs from the signed manifest")
	}
	m, err := parseManifest(signed.Payload)
	if err != nil {
		return fail("manifest "+ManifestFile, ErrCrossCheck, "%v", err)
	}
	v.m = m
	v.sum.Subject, v.sum.SourceCommit = m.Subject, m.SourceCommit
	v.ok(ChainSubject, link, "signed by %d of %d pinned producer keys", len(signed.KeyIDs), len(v.trust.producerKeys))
	return nil
}

// files: every listed file exists and has its digests.
func (v *verifier) files() error {
	for _, f := range append([]File{v.m.Subject}, v.m.Files...) {
		link := "file " + f.Path
		got, err := digestFile(v.dir, f.Path)
		if err != nil {
			return fail(link, ErrMissing, "%v", err)
		}
		if !sameDigests(f.Digest, got) {
			return fail(link, ErrDigest, "")
		}
		for _, alg := range []string{"sha256", "sha384", "sha512"} {
			if f.Digest[alg] == "" {
				return fail(link, ErrDigest, "manifest lacks %s", alg)
			}
		}
	}
	v.ok(ChainSubject, "files", "%d files match their sha256/sha384/sha512", len(v.m.Files)+1)
	return nil
}

// attestations: every attestation verifies and is about this binary.
func (v *verifier) attestations() error {
	for _, f := range v.m.Files {
		if f.Role != RoleAttestation {
			continue
		}
		link := "attestation " + f.Path
		data, err := os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fail(link, ErrMissing, "%v", err)
		}
		env, err := dsse.Parse(data)
		if err != nil {
			return fail(link, err, "")
		}
		st, err := intoto.Verify(v.ctx, env, v.trust.producerThreshold(), v.trust.producerKeys...)
		if err != nil {
			if errors.Is(err, dsse.ErrThreshold) {
				return fail(link, ErrSignature, "%v", err)
			}
			return fail(link, err, "")
		}
		if st.Statement.GetPredicateType() != f.PredicateType {
			return fail(link, ErrCrossCheck, "predicate type %q, manifest says %q", st.Statement.GetPredicateType(), f.PredicateType)
		}
		if !v.aboutBinary(st.Statement) {
			return fail(link, ErrSubject, "no subject carries the binary's sha256, sha384 and sha512")
		}
		v.states[f.Path] = st
		v.sum.Attestations = append(v.sum.Attestations, f)
	}
	v.ok(ChainSubject, "attestations", "%d attestations signed by pinned keys, all about %s", len(v.states), v.m.Subject.Path)
	return nil
}

func (v *verifier) aboutBinary(st *intoto.Statement) bool {
	for _, s := range st.GetSubject() {
		if sameDigests(map[string]string{"sha256": v.m.Subject.Digest["sha256"], "sha384": v.m.Subject.Digest["sha384"], "sha512": v.m.Subject.Digest["sha512"]}, s.GetDigest()) {
			return true
		}
	}
	return false
}

func (v *verifier) byType(pt string) []string {
	var out []string
	for p, st := range v.states {
		if st.Statement.GetPredicateType() == pt {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (v *verifier) predicates() error {
	for _, pt := range v.trust.RequiredPredicates {
		if len(v.byType(pt)) == 0 {
			return fail("required predicate "+pt, ErrMissing, "no attestation of this type")
		}
	}
	v.ok(ChainSubject, "required predicates", "%s", strings.Join(v.trust.RequiredPredicates, ", "))
	return nil
}

func (v *verifier) sbomFile() (File, bool) {
	for _, f := range v.m.Files {
		if f.Role == RoleSBOM {
			return f, true
		}
	}
	return File{}, false
}

// linked returns the modules the subject binary's build information
// records, read once.
func (v *verifier) linked() ([]sbom.Module, error) {
	if v.modules == nil {
		mods, err := sbom.ModulesOfFile(filepath.Join(v.dir, filepath.FromSlash(v.m.Subject.Path)))
		if err != nil {
			return nil, err
		}
		v.modules = mods
	}
	return v.modules, nil
}

// provenance: our build type, the binary as subject, the SBOM among the
// byproducts, the manifest's commit, and as resolved dependencies the
// modules the binary links.
func (v *verifier) provenance() error {
	sf, haveSBOM := v.sbomFile()
	linked, err := v.linked()
	if err != nil {
		return fail("provenance", ErrCrossCheck, "%v", err)
	}
	for _, p := range v.byType(intoto.PredicateSLSAProvenance) {
		link := "provenance " + p
		var prov slsav1.Provenance
		if err := intoto.DecodePredicate(v.states[p].Statement, &prov); err != nil {
			return fail(link, ErrCrossCheck, "%v", err)
		}
		if err := prov.Validate(); err != nil {
			return fail(link, ErrCrossCheck, "%v", err)
		}
		if prov.GetBuildDefinition().GetBuildType() != BuildType {
			return fail(link, ErrCrossCheck, "buildType %q", prov.GetBuildDefinition().GetBuildType())
		}
		ext := prov.GetBuildDefinition().GetExternalParameters().GetFields()
		if c := ext["commit"].GetStringValue(); c != v.m.SourceCommit {
			return fail(link, ErrCrossCheck, "commit %q, manifest says %q", c, v.m.SourceCommit)
		}
		if v.m.SourceCommit != "" && ext["source_modified"].GetBoolValue() != v.m.SourceModified {
			return fail(link, ErrCrossCheck, "source_modified %v, manifest says %v", ext["source_modified"].GetBoolValue(), v.m.SourceModified)
		}
		if haveSBOM {
			found := false
			for _, b := range prov.GetRunDetails().GetByproducts() {
				found = found || sameDigests(sf.Digest, b.GetDigest())
			}
			if !found {
				return fail(link, ErrCrossCheck, "the SBOM %s is not among the byproducts", sf.Path)
			}
		}
		var resolved []sbom.Module
		for _, d := range prov.GetBuildDefinition().GetResolvedDependencies() {
			if strings.HasPrefix(d.GetUri(), "pkg:golang/") {
				resolved = append(resolved, sbom.Module{Purl: d.GetUri(), DirHash: d.GetDigest()[DirHashAlgorithm]})
			}
		}
		if diff := sbom.DiffModules(linked, resolved); diff != "" {
			return fail(link, ErrCrossCheck, "its resolved dependencies are not the modules the binary links: %s", diff)
		}
		v.ok(ChainProvenance, link, "buildType %s, commit %q, SBOM digest among byproducts, %d resolved modules as the binary links them", BuildType, v.m.SourceCommit, len(resolved))
	}
	return nil
}

// source: the commit and the modified flag the binary carries in its Go
// build information are those of the manifest (and so of the provenance),
// and a build from uncommitted changes is refused unless the trust policy
// allows it.
func (v *verifier) source() error {
	link := "source of " + v.m.Subject.Path
	vcs, err := build.ReadVCS(filepath.Join(v.dir, filepath.FromSlash(v.m.Subject.Path)))
	if err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	detail := fmt.Sprintf("the binary records commit %s", vcs.Revision)
	switch {
	case vcs.Revision == "":
		detail = fmt.Sprintf("the binary carries no commit; the manifest names %q", v.m.SourceCommit)
	case vcs.Revision != v.m.SourceCommit:
		return fail(link, ErrCrossCheck, "the binary records commit %s, the manifest %q", vcs.Revision, v.m.SourceCommit)
	case vcs.Modified != v.m.SourceModified:
		return fail(link, ErrCrossCheck, "the binary records vcs.modified=%v, the manifest source_modified=%v", vcs.Modified, v.m.SourceModified)
	}
	if v.m.SourceModified {
		if !v.trust.AllowModifiedSource {
			return fail(link, ErrModifiedSource, "at %s: the commit does not rebuild this binary (allow_modified_source: true in the trust file accepts it)", v.m.SourceCommit)
		}
		detail += "; WARNING: built with uncommitted changes, accepted by allow_modified_source"
	} else {
		detail += ", no uncommitted changes"
	}
	v.ok(ChainProvenance, link, "%s", detail)
	return nil
}

// sbom: valid SPDX 2.3, describes this binary, and is what the SPDX
// attestation carries.
func (v *verifier) sbom() error {
	sf, ok := v.sbomFile()
	if !ok {
		return fail("sbom", ErrMissing, "no SBOM in the manifest")
	}
	link := "sbom " + sf.Path
	data, err := os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(sf.Path)))
	if err != nil {
		return fail(link, ErrMissing, "%v", err)
	}
	if err := sbom.ValidateJSON(data); err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	doc, err := sbom.Unmarshal(data)
	if err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	for alg, spdxAlg := range map[string]common.ChecksumAlgorithm{"sha256": common.SHA256, "sha384": common.SHA384, "sha512": common.SHA512} {
		if got := sbom.DigestOf(doc, spdxAlg); got != v.m.Subject.Digest[alg] {
			return fail(link, ErrSubject, "the SBOM describes a binary with %s %s", alg, got)
		}
	}
	want := &structpb.Struct{}
	if err := want.UnmarshalJSON(data); err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	for _, p := range v.byType(intoto.PredicateSPDX) {
		if !proto.Equal(want, v.states[p].Statement.GetPredicate()) {
			return fail("attestation "+p, ErrCrossCheck, "its SPDX document is not %s", sf.Path)
		}
	}
	listed, err := sbom.DocumentModules(doc)
	if err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	linked, err := v.linked()
	if err != nil {
		return fail(link, ErrCrossCheck, "%v", err)
	}
	if diff := sbom.DiffModules(linked, listed); diff != "" {
		return fail(link, ErrCrossCheck, "its packages are not the modules the binary links: %s", diff)
	}
	v.ok(ChainSBOM, link, "SPDX 2.3 (schema and strict checks), describes %s, lists the %d modules it links", v.m.Subject.Path, len(listed))
	return nil
}

func suiteOf(tr *trv0.TestResult) string {
	for _, c := range tr.GetConfiguration() {
		if strings.HasPrefix(c.GetUri(), SuiteURIPrefix) {
			return strings.TrimPrefix(c.GetUri(), SuiteURIPrefix)
		}
	}
	return ""
}

// tests: every required suite has a PASSED result for this binary, and its
// configuration's files are the ones in the directory.
func (v *verifier) tests() error {
	inDir := map[string]File{}
	for _, f := range v.m.Files {
		inDir[f.Path] = f
	}
	results := map[string]string{}
	for _, p := range v.byType(intoto.PredicateTestResult) {
		link := "test result " + p
		var tr trv0.TestResult
		if err := intoto.DecodePredicate(v.states[p].Statement, &tr); err != nil {
			return fail(link, ErrCrossCheck, "%v", err)
		}
		suite := suiteOf(&tr)
		if suite == "" {
			return fail(link, ErrCrossCheck, "no suite in its configuration")
		}
		for _, c := range tr.GetConfiguration() {
			if f, ok := inDir[c.GetName()]; ok && !sameDigests(c.GetDigest(), f.Digest) {
				return fail(link, ErrDigest, "configuration %s does not match the file", c.GetName())
			}
			if strings.HasPrefix(c.GetName(), "inputs/") {
				if _, ok := inDir[c.GetName()]; !ok {
					return fail(link, ErrMissing, "configuration %s is not in the directory", c.GetName())
				}
			}
		}
		if tr.GetResult() == intoto.Passed && len(tr.GetFailedTests()) > 0 {
			return fail(link, ErrCrossCheck, "PASSED with failed tests")
		}
		switch suite {
		case SuiteConformance:
			if err := v.conformanceInputs(&tr); err != nil {
				return fail(link, err, "")
			}
		case SuiteUnitTests:
			if err := v.unitTestInputs(&tr); err != nil {
				return fail(link, err, "")
			}
		}
		if prev, dup := results[suite]; dup && prev != tr.GetResult() {
			return fail(link, ErrCrossCheck, "suite %s has conflicting results", suite)
		}
		results[suite] = tr.GetResult()
	}
	for _, s := range v.trust.RequiredTests {
		r, ok := results[s]
		if !ok {
			return fail("test "+s, ErrMissing, "no test result for this suite")
		}
		if r != intoto.Passed {
			return fail("test "+s, ErrTestNotPassed, "result %s", r)
		}
	}
	v.ok(ChainTests, "tests", "required suites PASSED: %s", strings.Join(v.trust.RequiredTests, ", "))
	return nil
}

// configFile reads the file a test result's configuration names, checked
// against its digest by tests().
func (v *verifier) configFile(tr *trv0.TestResult, name string) ([]byte, error) {
	for _, c := range tr.GetConfiguration() {
		if c.GetName() == name {
			data, err := os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(name)))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMissing, err)
			}
			return data, nil
		}
	}
	return nil, fmt.Errorf("%w: configuration names no %s", ErrMissing, name)
}

// conformanceInputs: the report and transcript the result names are a run
// against this binary (checkConformance), and the result is the report's.
func (v *verifier) conformanceInputs(tr *trv0.TestResult) error {
	data, err := v.configFile(tr, ConformanceReportFile)
	if err != nil {
		return err
	}
	tdata, err := v.configFile(tr, ConformanceTranscriptFile)
	if err != nil {
		return err
	}
	r, err := checkConformance(data, tdata, v.m.Subject.Digest["sha384"])
	if err != nil {
		return fmt.Errorf("%s: %w", ConformanceReportFile, err)
	}
	if (tr.GetResult() == intoto.Passed) != (r.Result == "passed") {
		return fmt.Errorf("%w: the attestation says %s, the report %s", ErrCrossCheck, tr.GetResult(), r.Result)
	}
	return nil
}

// unitTestInputs: the `go test -json` output the result names gives the
// same package results, and covers every package the build link compiled.
func (v *verifier) unitTestInputs(tr *trv0.TestResult) error {
	data, err := v.configFile(tr, UnitTestsFile)
	if err != nil {
		return err
	}
	u, err := parseUnitTests(data)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCrossCheck, UnitTestsFile, err)
	}
	if !slices.Equal(u.passed, tr.GetPassedTests()) || !slices.Equal(u.failed, tr.GetFailedTests()) || !slices.Equal(u.skipped, tr.GetWarnedTests()) {
		return fmt.Errorf("%w: the attested package results are not those of %s", ErrCrossCheck, UnitTestsFile)
	}
	if v.materials == nil {
		return fmt.Errorf("%w: no verified build link names the packages the unit tests must cover", ErrMissing)
	}
	pkgs := packagesOf(v.modPath, v.materials)
	if missing := u.missing(pkgs); len(missing) > 0 {
		return fmt.Errorf("%w: no unit-test result for %d of the %d packages the build compiled: %s", ErrCrossCheck, len(missing), len(pkgs), strings.Join(missing, ", "))
	}
	return nil
}

// reproduced: the reproducible-build result names a second build with the
// binary's digests.
func (v *verifier) reproduced() error {
	for _, p := range v.byType(intoto.PredicateTestResult) {
		var tr trv0.TestResult
		if err := intoto.DecodePredicate(v.states[p].Statement, &tr); err != nil || suiteOf(&tr) != SuiteReproducibleBuild {
			continue
		}
		link := "reproducible build " + p
		if tr.GetResult() != intoto.Passed {
			return fail(link, ErrTestNotPassed, "result %s", tr.GetResult())
		}
		for _, c := range tr.GetConfiguration() {
			if strings.HasPrefix(c.GetName(), "second-build/") {
				if !sameDigests(v.m.Subject.Digest, c.GetDigest()) {
					return fail(link, ErrSubject, "the second build is not this binary")
				}
				v.ok(ChainReproducible, link, "two independent builds gave %s", v.m.Subject.Path)
				return nil
			}
		}
		return fail(link, ErrMissing, "no second-build digest")
	}
	return nil
}

// BuildStep is the name of the in-toto link of the build.
const BuildStep = "build"

// link: the directory has the in-toto link of the build step, signed by
// as many pinned producer keys as the trust policy requires, naming the
// binary as its product.
func (v *verifier) link() error {
	var files []File
	for _, f := range v.m.Files {
		if f.Role == RoleLink {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return fail("link "+BuildStep, ErrMissing, "no in-toto link of the build step in the manifest")
	}
	for _, f := range files {
		link := "link " + f.Path
		data, err := os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fail(link, ErrMissing, "%v", err)
		}
		var l *in_toto.Link
		signers := 0
		for _, k := range v.trust.producerKeys {
			ec, ok := k.(*ecdsa.PublicKey)
			if !ok {
				continue
			}
			if got, err := intoto.VerifyLink(data, ec); err == nil {
				l = got
				signers++
			}
		}
		if signers < v.trust.producerThreshold() {
			return fail(link, ErrSignature, "%d of %d required pinned producer keys verify it", signers, v.trust.producerThreshold())
		}
		if l.Name != BuildStep {
			return fail(link, ErrCrossCheck, "step %q, want %q", l.Name, BuildStep)
		}
		prod, ok := l.Products[v.m.Subject.Path]
		if !ok {
			return fail(link, ErrSubject, "products do not include %s", v.m.Subject.Path)
		}
		if !sameDigests(map[string]string(prod), v.m.Subject.Digest) {
			return fail(link, ErrSubject, "product %s has other digests", v.m.Subject.Path)
		}
		modPath, err := modulePath(filepath.Join(v.dir, filepath.FromSlash(v.m.Subject.Path)))
		if err != nil {
			return fail(link, ErrCrossCheck, "%v", err)
		}
		v.modPath = modPath
		v.materials = make([]string, 0, len(l.Materials))
		for m := range l.Materials {
			v.materials = append(v.materials, m)
		}
		sort.Strings(v.materials)
		v.ok(ChainBuildLink, link, "step %q signed by %d pinned producer key(s): %d materials (%d packages of %s), product %s",
			l.Name, signers, len(l.Materials), len(packagesOf(modPath, v.materials)), modPath, v.m.Subject.Path)
	}
	return nil
}

// sfr: a short-form report, when present or required, verifies with the
// pinned SRP keys and records this binary's firmware digests.
func (v *verifier) sfr() error {
	var files []File
	for _, f := range v.m.Files {
		if f.Role == RoleSFR {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		if v.trust.RequireSFR {
			return fail("short-form report", ErrMissing, "the trust policy requires one")
		}
		return nil
	}
	if len(v.trust.sfrKeys) == 0 {
		return fail("short-form report", ErrMissing, "no sfr_signers keys in the trust file")
	}
	for _, f := range files {
		link := "short-form report " + f.Path
		data, err := os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fail(link, ErrMissing, "%v", err)
		}
		var got *sfr.Verified
		var firstErr error
		signers := 0
		for _, k := range v.trust.sfrKeys {
			vr, err := sfr.Verify(data, k.pub, sfr.WithKeyID(k.kid))
			if err == nil {
				got = vr
				signers++
			} else if firstErr == nil || errors.Is(err, sfr.ErrKeyID) {
				firstErr = err
			}
		}
		if signers < v.trust.sfrThreshold() {
			return fail(link, ErrSignature, "%d of %d required SRP keys verify it (%v)", signers, v.trust.sfrThreshold(), firstErr)
		}
		d := sfr.Digests{}
		if d.SHA384, err = hexBytes(v.m.Subject.Digest["sha384"]); err != nil {
			return fail(link, ErrDigest, "%v", err)
		}
		if d.SHA512, err = hexBytes(v.m.Subject.Digest["sha512"]); err != nil {
			return fail(link, ErrDigest, "%v", err)
		}
		if err := sfr.CheckDigests(got.Report, d); err != nil {
			return fail(link, ErrSubject, "%v", err)
		}
		// The reviewed source is the built source: repo_tag names the
		// commit the manifest, the provenance and the binary record.
		if v.m.SourceCommit != "" && !strings.EqualFold(got.Report.Device.RepoTag, v.m.SourceCommit) {
			if got.Report.Device.RepoTag == "" {
				return fail(link, ErrCrossCheck, "the report names no repo_tag; the binary was built from commit %s", v.m.SourceCommit)
			}
			return fail(link, ErrCrossCheck, "repo_tag %q, the binary was built from commit %s", got.Report.Device.RepoTag, v.m.SourceCommit)
		}
		v.sum.SFR = got
		v.ok(ChainSFR, link, "signed by %d pinned SRP key(s); firmware digest is %s; repo_tag is the source commit", signers, v.m.Subject.Path)
	}
	return nil
}

// WriteReport writes the human report of a verification.
func WriteReport(w io.Writer, s *Summary, verr error) error {
	var b strings.Builder
	if s.Subject.Path == "" {
		fmt.Fprintf(&b, "evidence in %s: no verified manifest names a binary\n", s.Dir)
	} else {
		fmt.Fprintf(&b, "evidence for %s (sha384 %s)\n", s.Subject.Path, s.Subject.Digest["sha384"])
	}
	if s.SourceCommit != "" {
		fmt.Fprintf(&b, "source commit %s\n", s.SourceCommit)
	}
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "ok    %s: %s\n", c.Link, c.Detail)
	}
	if verr != nil {
		fmt.Fprintf(&b, "FAIL  %v\nresult: FAILED\n", verr)
	} else {
		b.WriteString("result: PASSED\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// VSA returns the SLSA verification summary v1 Statement of a verification
// (unsigned; the caller may sign it with intoto.Sign).
func VSA(s *Summary, t *Trust, verr error, now time.Time) (*intoto.Statement, error) {
	result := intoto.Passed
	if verr != nil {
		result = intoto.Failed
	}
	var inputs []*intoto.ResourceDescriptor
	for _, a := range s.Attestations {
		inputs = append(inputs, &intoto.ResourceDescriptor{Uri: "file:" + a.Path, Digest: a.Digest})
	}
	policy := "file:trust.yaml"
	if t.source != "" {
		policy = "file:" + path.Base(filepath.ToSlash(t.source))
	}
	levels := []string{}
	if verr == nil {
		levels = []string{"SLSA_BUILD_LEVEL_1"}
	}
	pred, err := intoto.VSA(intoto.VSAOptions{
		VerifierID: VerifierID, TimeVerified: now, ResourceURI: "file:" + s.Subject.Path,
		PolicyURI: policy, PolicyDigest: t.digest, InputAttestations: inputs, Result: result, VerifiedLevels: levels,
	})
	if err != nil {
		return nil, err
	}
	name := path.Base(s.Subject.Path)
	if name == "." || name == "" {
		name = "unknown"
	}
	digest := s.Subject.Digest
	if len(digest) == 0 {
		return nil, errors.New("release: no subject to summarise (the manifest did not verify)")
	}
	return intoto.New([]*intoto.ResourceDescriptor{{Name: name, Digest: digest}}, intoto.PredicateVSA, pred)
}

func hexBytes(s string) ([]byte, error) {
	if strings.ToLower(s) != s {
		return nil, fmt.Errorf("digest %q is not lower-case hex", s)
	}
	return hex.DecodeString(s)
}
