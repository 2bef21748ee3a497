package release

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/sbom"
)

// ProduceOptions configure Produce.
type ProduceOptions struct {
	Source  string   // module root (required)
	Package string   // build.DefaultPackage when empty
	Tags    []string // build tags; build.FirmwareTag for the default package
	Out     string   // evidence directory to create (must not exist or be empty)
	Key     *ecdsa.PrivateKey
	// SourceRepo names the repository in the provenance (e.g.
	// https://github.com/openihsm/openihsm); optional.
	SourceRepo string
	// SourceDateEpoch as for build.Options; negative: HEAD's commit time.
	SourceDateEpoch int64
	FreshCache      bool
	VCS             string
	// AllowModified builds a work tree with uncommitted changes; the
	// evidence then says so and a verifier refuses it unless its trust
	// policy allows modified sources.
	AllowModified bool
	// Optional test evidence: a conformance report (conformance-report.json)
	// with its transcript, and `go test -json` output of the unit tests.
	ConformanceReport string
	Transcript        string
	UnitTestsJSON     string
	// SFR is a signed OCP SAFE short-form report (JWS or COSE) of this
	// binary, stored unchanged under sfr/.
	SFR    string
	Stderr io.Writer
}

// producer accumulates the directory's files.
type producer struct {
	ctx   context.Context
	out   string
	key   *ecdsa.PrivateKey
	files []File
}

func (p *producer) write(rel, role string, data []byte) (File, error) {
	if err := checkPath(rel); err != nil {
		return File{}, err
	}
	full := filepath.Join(p.out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return File{}, err
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return File{}, err
	}
	f := File{Path: rel, Role: role, Digest: intoto.BytesSubject("", data).Digest}
	p.files = append(p.files, f)
	return f, nil
}

func (p *producer) copyIn(src, rel, role string) (File, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return File{}, err
	}
	return p.write(rel, role, data)
}

// attest signs a Statement about the binary and writes its envelope.
func (p *producer) attest(name string, subject *intoto.ResourceDescriptor, predicateType, suite string, predicate any) error {
	st, err := intoto.New([]*intoto.ResourceDescriptor{subject}, predicateType, predicate)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	env, err := intoto.Sign(p.ctx, st, p.key)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	data, err := dsse.Marshal(env)
	if err != nil {
		return err
	}
	if _, err := p.write("attestations/"+name+".dsse.json", RoleAttestation, data); err != nil {
		return err
	}
	p.files[len(p.files)-1].PredicateType = predicateType
	p.files[len(p.files)-1].Suite = suite
	return nil
}

// Produce builds, attests and signs one release into o.Out and returns the
// manifest it wrote.
func Produce(ctx context.Context, o ProduceOptions) (*Manifest, error) {
	if o.Key == nil {
		return nil, errors.New("release: no signing key")
	}
	if o.Out == "" {
		return nil, errors.New("release: no output directory")
	}
	if ents, err := os.ReadDir(o.Out); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("release: %s is not empty", o.Out)
	}
	if (o.Transcript == "") != (o.ConformanceReport == "") {
		return nil, errors.New("release: a conformance report and its transcript go together")
	}
	p := &producer{ctx: ctx, out: o.Out, key: o.Key}
	binDir := filepath.Join(o.Out, "bin")

	// Reproducible build.
	res, err := build.Build(ctx, build.Options{Dir: o.Source, Package: o.Package, Tags: o.Tags, OutDir: binDir,
		SourceDateEpoch: o.SourceDateEpoch, VCS: o.VCS, FreshCache: o.FreshCache, AllowModified: o.AllowModified, Stderr: o.Stderr})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	binRel := "bin/" + filepath.Base(res.Binary)
	subject := &intoto.ResourceDescriptor{Name: path.Base(binRel), Digest: res.Digests}
	m := &Manifest{Version: ManifestVersion, Subject: File{Path: binRel, Role: RoleBinary, Digest: res.Digests}, SourceCommit: res.Commit, SourceModified: res.Modified}

	// SBOM from the binary itself.
	doc, err := sbom.FromFile(res.Binary, sbom.Options{SourceDateEpoch: strconv.FormatInt(res.SourceDateEpoch, 10)})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	sbomJSON, err := sbom.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if err := sbom.ValidateJSON(sbomJSON); err != nil {
		return nil, fmt.Errorf("release: SBOM: %w", err)
	}
	sbomFile, err := p.write("sbom.spdx.json", RoleSBOM, sbomJSON)
	if err != nil {
		return nil, err
	}

	// Provenance: beyond the source commit it resolves the modules the
	// binary links, each by its go.sum hash (in-toto's dirHash).
	mods, err := sbom.ModulesOfFile(res.Binary)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	flags := append([]string{}, res.Args[2:len(res.Args)-3]...)
	prov, err := intoto.Provenance(intoto.ProvenanceOptions{
		BuildType:    BuildType,
		SourceRepo:   o.SourceRepo,
		SourceCommit: res.Commit,
		Modified:     res.Modified,
		Target:       packageOr(o.Package),
		Toolchain:    res.GoVersion,
		Flags:        flags,
		Environment:  envMap(append([]string{"GOOS=" + res.GOOS, "GOARCH=" + res.GOARCH}, res.Env...)),
		BuilderID:    BuilderID,
		InvocationID: "sha256:" + res.Digests["sha256"],
		Started:      res.Started,
		Finished:     res.Finished,
		Byproducts:   []*intoto.ResourceDescriptor{{Name: sbomFile.Path, Digest: sbomFile.Digest, MediaType: "application/spdx+json"}},

		ResolvedDependencies: moduleDescriptors(mods),
	})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if err := p.attest("provenance", subject, intoto.PredicateSLSAProvenance, "", prov); err != nil {
		return nil, err
	}
	sbomPred, err := intoto.SPDX(sbomJSON)
	if err != nil {
		return nil, err
	}
	if err := p.attest("sbom", subject, intoto.PredicateSPDX, "", sbomPred); err != nil {
		return nil, err
	}

	// Reproducibility as a test result: only a reproduced build gets here.
	if err := checkReproduced(res); err != nil {
		return nil, err
	}
	command, err := structpb.NewStruct(map[string]any{"argv": toAny(res.Args), "env": toAny(res.Env), "fresh_cache": res.FreshCache})
	if err != nil {
		return nil, err
	}
	tr, err := intoto.TestResult(intoto.Passed, []*intoto.ResourceDescriptor{
		suiteDescriptor(SuiteReproducibleBuild),
		{Name: "second-build/" + path.Base(binRel), Digest: res.SecondDigests},
		{Name: "build-command", Annotations: command},
	}, "", []string{"two builds in different directories are identical (sha256, sha384, sha512)"}, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := p.attest("test-reproducible-build", subject, intoto.PredicateTestResult, SuiteReproducibleBuild, tr); err != nil {
		return nil, err
	}

	// The build's materials: the in-toto link records them, and the unit
	// tests must cover the packages they make up.
	mats, err := materials(ctx, o.Source, packageOr(o.Package), res.Tags)
	if err != nil {
		return nil, fmt.Errorf("release: link materials: %w", err)
	}
	modPath, err := modulePath(res.Binary)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}

	// Conformance run.
	if o.ConformanceReport != "" {
		if err := p.conformance(o, subject); err != nil {
			return nil, fmt.Errorf("release: conformance: %w", err)
		}
	}
	if o.UnitTestsJSON != "" {
		if err := p.unitTests(o, subject, packagesOf(modPath, mats)); err != nil {
			return nil, fmt.Errorf("release: unit tests: %w", err)
		}
	}

	if o.SFR != "" {
		if _, err := p.copyIn(o.SFR, "sfr/"+path.Base(filepath.ToSlash(o.SFR)), RoleSFR); err != nil {
			return nil, fmt.Errorf("release: short-form report: %w", err)
		}
	}

	// The build step as an in-toto link.
	link, err := intoto.RecordLink(intoto.LinkStep{
		Name: "build", Command: res.Args, Root: o.Source, Materials: mats,
		ProductRoot: o.Out, Products: []string{binRel},
		Environment: map[string]any{"env": toAny(res.Env)},
	}, o.Key)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	keyID, _ := keys.KeyID(o.Key.Public())
	if _, err := p.write("links/build."+keyID[:8]+".link", RoleLink, link); err != nil {
		return nil, err
	}
	pubPEM, err := keys.MarshalPublic(o.Key.Public())
	if err != nil {
		return nil, err
	}
	if _, err := p.write("keys/producer.pub", RolePublicKey, pubPEM); err != nil {
		return nil, err
	}

	// The signed manifest.
	sort.Slice(p.files, func(i, j int) bool { return p.files[i].Path < p.files[j].Path })
	m.Files = p.files
	data, err := marshalManifest(m)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, ManifestFile), data, 0o644); err != nil {
		return nil, err
	}
	env, err := dsse.Sign(ctx, ManifestPayloadType, data, o.Key)
	if err != nil {
		return nil, err
	}
	envData, err := dsse.Marshal(env)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, ManifestEnvelope), envData, 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

func (p *producer) conformance(o ProduceOptions, subject *intoto.ResourceDescriptor) error {
	data, err := os.ReadFile(o.ConformanceReport)
	if err != nil {
		return err
	}
	transcriptData, err := os.ReadFile(o.Transcript)
	if err != nil {
		return err
	}
	r, err := checkConformance(data, transcriptData, subject.GetDigest()["sha384"])
	if err != nil {
		return fmt.Errorf("%s: %w", o.ConformanceReport, err)
	}
	rep, err := p.write(ConformanceReportFile, RoleInput, data)
	if err != nil {
		return err
	}
	tf, err := p.write(ConformanceTranscriptFile, RoleInput, transcriptData)
	if err != nil {
		return err
	}
	config := []*intoto.ResourceDescriptor{
		suiteDescriptor(SuiteConformance),
		{Name: rep.Path, Digest: rep.Digest, MediaType: "application/json"},
		{Name: tf.Path, Digest: tf.Digest, MediaType: "application/jsonl"},
	}
	var passed, failed, warned []string
	for _, s := range r.Scenarios {
		id := s.ID + " " + s.Name
		switch s.Status {
		case report.Passed:
			passed = append(passed, id)
		case report.Failed:
			failed = append(failed, id)
		default:
			warned = append(warned, id+" ("+s.Status+")")
		}
	}
	result := intoto.Failed
	if r.Result == report.Passed && len(failed) == 0 {
		result = intoto.Passed
	}
	tr, err := intoto.TestResult(result, config, "", passed, warned, failed)
	if err != nil {
		return err
	}
	return p.attest("test-conformance", subject, intoto.PredicateTestResult, SuiteConformance, tr)
}

// Where the conformance run's report and transcript are kept.
const (
	ConformanceReportFile     = "inputs/conformance-report.json"
	ConformanceTranscriptFile = "inputs/transcript.jsonl"
	UnitTestsFile             = "inputs/unit-tests.json"
)

// checkConformance binds a conformance report to the binary: it is a
// schema-valid report, the firmware measurement the device attested during
// the run is the binary's SHA-384, and the transcript's hash chain ends in
// the digest and frame count the report names.
func checkConformance(data, transcriptData []byte, sha384 string) (*report.Report, error) {
	if err := report.Validate(data); err != nil {
		return nil, err
	}
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if want := "sha384:" + sha384; r.Implementation.FirmwareMeasurement != want {
		if r.Implementation.FirmwareMeasurement == "" {
			return nil, fmt.Errorf("%w: the run recorded no attested firmware measurement, so it is not bound to %s", ErrSubject, want)
		}
		return nil, fmt.Errorf("%w: the device under test attested firmware %s, the binary is %s", ErrSubject, r.Implementation.FirmwareMeasurement, want)
	}
	digest, frames, err := transcript.Verify(bytes.NewReader(transcriptData))
	if err != nil {
		return nil, fmt.Errorf("%w: transcript: %v", ErrDigest, err)
	}
	if digest != r.Transcript.Digest || frames != r.Transcript.Frames {
		return nil, fmt.Errorf("%w: the transcript's chain ends in %s after %d frames, the report names %s after %d", ErrDigest, digest, frames, r.Transcript.Digest, r.Transcript.Frames)
	}
	return &r, nil
}

// checkReproduced refuses a build whose two binaries differ.
func checkReproduced(res build.Result) error {
	if res.Reproduced {
		return nil
	}
	return fmt.Errorf("%w: first build sha256:%s, second sha256:%s (%s)", ErrNotReproduced, res.Digests["sha256"], res.SecondDigests["sha256"], res.Binary)
}

// ErrNotReproduced is returned by Produce when the two builds differ.
var ErrNotReproduced = errors.New("release: the two builds differ; the binary is not reproducible")

// unitTests reads `go test -json` output (cmd/test2json) of the packages
// the binary is built from: every package among them must have a result,
// and a package passes or fails on its "pass"/"fail" action without a Test
// name.
func (p *producer) unitTests(o ProduceOptions, subject *intoto.ResourceDescriptor, packages []string) error {
	data, err := os.ReadFile(o.UnitTestsJSON)
	if err != nil {
		return err
	}
	u, err := parseUnitTests(data)
	if err != nil {
		return fmt.Errorf("%s: %w", o.UnitTestsJSON, err)
	}
	if missing := u.missing(packages); len(missing) > 0 {
		return fmt.Errorf("%s: no result for %d of the %d packages the binary is built from: %s", o.UnitTestsJSON, len(missing), len(packages), strings.Join(missing, ", "))
	}
	f, err := p.write(UnitTestsFile, RoleInput, data)
	if err != nil {
		return err
	}
	result := intoto.Passed
	if len(u.failed) > 0 {
		result = intoto.Failed
	}
	tr, err := intoto.TestResult(result, []*intoto.ResourceDescriptor{suiteDescriptor(SuiteUnitTests), {Name: f.Path, Digest: f.Digest, MediaType: "application/jsonl"}}, "", u.passed, u.skipped, u.failed)
	if err != nil {
		return err
	}
	return p.attest("test-unit-tests", subject, intoto.PredicateTestResult, SuiteUnitTests, tr)
}

// unitResults are the package results of a `go test -json` run.
type unitResults struct {
	passed, failed, skipped []string
	seen                    map[string]bool
}

func parseUnitTests(data []byte) (*unitResults, error) {
	u := &unitResults{seen: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev struct{ Action, Package, Test string }
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, err
		}
		if ev.Test != "" || ev.Package == "" {
			continue
		}
		switch ev.Action {
		case "pass":
			u.passed = append(u.passed, ev.Package)
		case "fail":
			u.failed = append(u.failed, ev.Package)
		case "skip":
			u.skipped = append(u.skipped, ev.Package+" (no test files)")
		default:
			continue
		}
		if u.seen[ev.Package] {
			return nil, fmt.Errorf("package %s has two results", ev.Package)
		}
		u.seen[ev.Package] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(u.passed)+len(u.failed) == 0 {
		return nil, errors.New("no package results (not `go test -json` output?)")
	}
	return u, nil
}

// missing lists the packages without a result.
func (u *unitResults) missing(packages []string) []string {
	var out []string
	for _, p := range packages {
		if !u.seen[p] {
			out = append(out, p)
		}
	}
	return out
}

// packagesOf lists the import paths of the main module's packages whose Go
// files are among the materials (slash paths relative to the module root).
func packagesOf(modPath string, mats []string) []string {
	set := map[string]bool{}
	for _, m := range mats {
		if !strings.HasSuffix(m, ".go") {
			continue
		}
		dir := path.Dir(m)
		if dir == "." {
			set[modPath] = true
		} else {
			set[modPath+"/"+dir] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// moduleDescriptors are the resolved dependencies of a build that links
// mods.
func moduleDescriptors(mods []sbom.Module) []*intoto.ResourceDescriptor {
	ds := make([]*intoto.ResourceDescriptor, len(mods))
	for i, m := range mods {
		ds[i] = &intoto.ResourceDescriptor{Uri: m.Purl}
		if m.DirHash != "" {
			ds[i].Digest = map[string]string{DirHashAlgorithm: m.DirHash}
		}
	}
	return ds
}

// DirHashAlgorithm is the in-toto DigestSet name of a Go module's h1 hash.
const DirHashAlgorithm = "dirHash"

// modulePath is the main module path a Go binary records.
func modulePath(bin string) (string, error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "", err
	}
	if bi.Main.Path == "" {
		return "", fmt.Errorf("%s records no main module", bin)
	}
	return bi.Main.Path, nil
}

// materials lists go.mod, go.sum and every Go file of the module that the
// package's build compiles or embeds (`go list -deps`), relative to root.
func materials(ctx context.Context, root, pkg string, tags []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-tags="+strings.Join(tags, ","), "-f", `{{if and (not .Standard) .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}{{end}}`, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{"go.mod": true}
	if _, err := os.Stat(filepath.Join(abs, "go.sum")); err == nil {
		set["go.sum"] = true
	}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		rel, err := filepath.Rel(abs, l)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		set[filepath.ToSlash(rel)] = true
	}
	list := make([]string, 0, len(set))
	for k := range set {
		list = append(list, k)
	}
	sort.Strings(list)
	return list, nil
}

func suiteDescriptor(suite string) *intoto.ResourceDescriptor {
	return &intoto.ResourceDescriptor{Name: "suite", Uri: SuiteURIPrefix + suite}
}

func packageOr(p string) string {
	if p == "" {
		return build.DefaultPackage
	}
	return p
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if i := strings.IndexByte(kv, '='); i > 0 {
			m[kv[:i]] = kv[i+1:]
		}
	}
	return m
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
