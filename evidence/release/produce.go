package release

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
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
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/sbom"
)

// ProduceOptions configure Produce.
type ProduceOptions struct {
	Source  string // module root (required)
	Package string // build.DefaultPackage when empty
	Out     string // evidence directory to create (must not exist or be empty)
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
	if o.Transcript != "" && o.ConformanceReport == "" {
		return nil, errors.New("release: a transcript needs its conformance report")
	}
	p := &producer{ctx: ctx, out: o.Out, key: o.Key}
	binDir := filepath.Join(o.Out, "bin")

	// Reproducible build.
	res, err := build.Build(ctx, build.Options{Dir: o.Source, Package: o.Package, OutDir: binDir,
		SourceDateEpoch: o.SourceDateEpoch, VCS: o.VCS, FreshCache: o.FreshCache, AllowModified: o.AllowModified, Stderr: o.Stderr})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	binRel := "bin/" + filepath.Base(res.Binary)
	subject := &intoto.ResourceDescriptor{Name: path.Base(binRel), Digest: res.Digests}
	m := &Manifest{Version: ManifestVersion, Subject: File{Path: binRel, Role: RoleBinary, Digest: res.Digests}, SourceCommit: res.Commit, SourceModified: res.Modified}
	sde := time.Unix(res.SourceDateEpoch, 0).UTC()

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

	// Provenance.
	flags := append([]string{}, res.Args[2:len(res.Args)-3]...)
	prov, err := intoto.Provenance(intoto.ProvenanceOptions{
		BuildType:    BuildType,
		SourceRepo:   o.SourceRepo,
		SourceCommit: res.Commit,
		Modified:     res.Modified,
		Target:       packageOr(o.Package),
		Toolchain:    res.GoVersion,
		Flags:        flags,
		Environment:  envMap(res.Env),
		BuilderID:    BuilderID,
		InvocationID: "sha256:" + res.Digests["sha256"],
		Started:      sde,
		Finished:     sde,
		Byproducts:   []*intoto.ResourceDescriptor{{Name: sbomFile.Path, Digest: sbomFile.Digest, MediaType: "application/spdx+json"}},
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

	// Reproducibility as a test result.
	repro := intoto.Failed
	passed, failed := []string(nil), []string(nil)
	check := "two builds in different directories are identical (sha256, sha384, sha512)"
	if res.Reproduced {
		repro, passed = intoto.Passed, []string{check}
	} else {
		failed = []string{check}
	}
	command, err := structpb.NewStruct(map[string]any{"argv": toAny(res.Args), "env": toAny(res.Env), "fresh_cache": res.FreshCache})
	if err != nil {
		return nil, err
	}
	tr, err := intoto.TestResult(repro, []*intoto.ResourceDescriptor{
		suiteDescriptor(SuiteReproducibleBuild),
		{Name: "second-build/" + path.Base(binRel), Digest: res.SecondDigests},
		{Name: "build-command", Annotations: command},
	}, "", passed, nil, failed)
	if err != nil {
		return nil, err
	}
	if err := p.attest("test-reproducible-build", subject, intoto.PredicateTestResult, SuiteReproducibleBuild, tr); err != nil {
		return nil, err
	}

	// Conformance run.
	if o.ConformanceReport != "" {
		if err := p.conformance(o, subject); err != nil {
			return nil, fmt.Errorf("release: conformance: %w", err)
		}
	}
	if o.UnitTestsJSON != "" {
		if err := p.unitTests(o, subject); err != nil {
			return nil, fmt.Errorf("release: unit tests: %w", err)
		}
	}

	if o.SFR != "" {
		if _, err := p.copyIn(o.SFR, "sfr/"+path.Base(filepath.ToSlash(o.SFR)), RoleSFR); err != nil {
			return nil, fmt.Errorf("release: short-form report: %w", err)
		}
	}

	// The build step as an in-toto link.
	mats, err := materials(ctx, o.Source, packageOr(o.Package))
	if err != nil {
		return nil, fmt.Errorf("release: link materials: %w", err)
	}
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
	if err := report.Validate(data); err != nil {
		return fmt.Errorf("%s: %w", o.ConformanceReport, err)
	}
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: %w", o.ConformanceReport, err)
	}
	rep, err := p.write("inputs/conformance-report.json", RoleInput, data)
	if err != nil {
		return err
	}
	config := []*intoto.ResourceDescriptor{suiteDescriptor(SuiteConformance), {Name: rep.Path, Digest: rep.Digest, MediaType: "application/json"}}
	if o.Transcript != "" {
		tf, err := p.copyIn(o.Transcript, "inputs/"+path.Base(filepath.ToSlash(o.Transcript)), RoleInput)
		if err != nil {
			return err
		}
		config = append(config, &intoto.ResourceDescriptor{Name: tf.Path, Digest: tf.Digest})
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

// unitTests reads `go test -json` output (cmd/test2json): a package passes
// or fails on its "pass"/"fail" action without a Test name.
func (p *producer) unitTests(o ProduceOptions, subject *intoto.ResourceDescriptor) error {
	data, err := os.ReadFile(o.UnitTestsJSON)
	if err != nil {
		return err
	}
	var passed, failed, skipped []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev struct{ Action, Package, Test string }
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("%s: %w", o.UnitTestsJSON, err)
		}
		if ev.Test != "" {
			continue
		}
		switch ev.Action {
		case "pass":
			passed = append(passed, ev.Package)
		case "fail":
			failed = append(failed, ev.Package)
		case "skip":
			skipped = append(skipped, ev.Package+" (no test files)")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(passed)+len(failed) == 0 {
		return fmt.Errorf("%s: no package results (not `go test -json` output?)", o.UnitTestsJSON)
	}
	f, err := p.write("inputs/unit-tests.json", RoleInput, data)
	if err != nil {
		return err
	}
	result := intoto.Passed
	if len(failed) > 0 {
		result = intoto.Failed
	}
	tr, err := intoto.TestResult(result, []*intoto.ResourceDescriptor{suiteDescriptor(SuiteUnitTests), {Name: f.Path, Digest: f.Digest, MediaType: "application/jsonl"}}, "", passed, skipped, failed)
	if err != nil {
		return err
	}
	return p.attest("test-unit-tests", subject, intoto.PredicateTestResult, SuiteUnitTests, tr)
}

// materials lists go.mod, go.sum and every Go file of the module that the
// package's build compiles or embeds (`go list -deps`), relative to root.
func materials(ctx context.Context, root, pkg string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f", `{{if and (not .Standard) .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
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
