package intoto

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	slsav1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	trv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Predicate types (in-toto attestation predicates and SLSA specifications).
const (
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	PredicateSPDX           = "https://spdx.dev/Document/v2.3"
	PredicateTestResult     = "https://in-toto.io/attestation/test-result/v0.1"
	PredicateVSA            = "https://slsa.dev/verification_summary/v1"
)

// Test and verification outcomes (test-result v0.1 "result"; VSA v1
// "verificationResult").
const (
	Passed = "PASSED"
	Warned = "WARNED"
	Failed = "FAILED"
)

// Statement and ResourceDescriptor are the in-toto attestation v1 types.
type (
	Statement          = ita.Statement
	ResourceDescriptor = ita.ResourceDescriptor
)

var (
	// ErrInvalid is returned for a Statement or predicate that breaks its
	// specification.
	ErrInvalid = errors.New("intoto: invalid statement")
)

// Digests returns the sha256, sha384 and sha512 digests of r in the in-toto
// DigestSet form (lower-case hex, spec/v1/digest_set.md).
func Digests(r io.Reader) (map[string]string, error) {
	h256, h384, h512 := sha256.New(), sha512.New384(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h384, h512), r); err != nil {
		return nil, fmt.Errorf("intoto: digest: %w", err)
	}
	return map[string]string{
		"sha256": hex.EncodeToString(h256.Sum(nil)),
		"sha384": hex.EncodeToString(h384.Sum(nil)),
		"sha512": hex.EncodeToString(h512.Sum(nil)),
	}, nil
}

// Subject returns a ResourceDescriptor named name with the digests of data.
func Subject(name string, data io.Reader) (*ResourceDescriptor, error) {
	d, err := Digests(data)
	if err != nil {
		return nil, err
	}
	return &ResourceDescriptor{Name: name, Digest: d}, nil
}

// FileSubject is Subject over the file at path, named by its base name.
func FileSubject(path string) (*ResourceDescriptor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("intoto: %w", err)
	}
	defer f.Close()
	return Subject(filepath.Base(path), f)
}

// BytesSubject is Subject over an in-memory artifact.
func BytesSubject(name string, data []byte) *ResourceDescriptor {
	d, _ := Digests(bytes.NewReader(data)) // a bytes.Reader never fails
	return &ResourceDescriptor{Name: name, Digest: d}
}

// New wraps predicate (a protobuf message or any JSON-marshallable value) in
// a Statement about subjects and validates it.
func New(subjects []*ResourceDescriptor, predicateType string, predicate any) (*Statement, error) {
	st, err := toStruct(predicate)
	if err != nil {
		return nil, err
	}
	s := &Statement{Type: ita.StatementTypeUri, Subject: subjects, PredicateType: predicateType, Predicate: st}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// toStruct converts a predicate into the Statement's google.protobuf.Struct
// through its JSON form (protojson for protobuf messages).
func toStruct(v any) (*structpb.Struct, error) {
	var data []byte
	var err error
	switch m := v.(type) {
	case *structpb.Struct:
		return m, nil
	case proto.Message:
		data, err = protojson.Marshal(m)
	case json.RawMessage:
		data = m
	default:
		data, err = json.Marshal(v)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: predicate: %v", ErrInvalid, err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("%w: predicate is not a JSON object: %v", ErrInvalid, err)
	}
	return s, nil
}

// Marshal validates s and serialises it with protojson. Sign the result
// once; never re-marshal a parsed Statement to compare bytes.
func Marshal(s *Statement) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalid)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	b, err := protojson.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("intoto: marshal: %w", err)
	}
	return b, nil
}

// Parse reads a Statement from a (verified) DSSE payload and validates it:
// statement type v1, at least one subject, each with a well-formed digest,
// a predicate type and a predicate (spec/v1/statement.md).
func Parse(payload []byte) (*Statement, error) {
	s := &Statement{}
	if err := protojson.Unmarshal(payload, s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.GetType() != ita.StatementTypeUri {
		return nil, fmt.Errorf("%w: _type %q", ErrInvalid, s.GetType())
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// DecodePredicate decodes s's predicate into dst, a protobuf message
// (e.g. *slsav1.Provenance) or any JSON-unmarshallable value.
func DecodePredicate(s *Statement, dst any) error {
	data, err := protojson.Marshal(s.GetPredicate())
	if err != nil {
		return fmt.Errorf("intoto: predicate: %w", err)
	}
	if m, ok := dst.(proto.Message); ok {
		err = protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(data, m)
	} else {
		err = json.Unmarshal(data, dst)
	}
	if err != nil {
		return fmt.Errorf("%w: predicate: %v", ErrInvalid, err)
	}
	return nil
}

// ProvenanceOptions describe one build for SLSA provenance v1
// (https://slsa.dev/spec/v1.0/provenance).
type ProvenanceOptions struct {
	BuildType    string // URI of the build recipe
	SourceRepo   string // externalParameters.repository
	SourceCommit string // git commit (hex); also a resolved dependency
	// Modified records uncommitted changes on top of SourceCommit
	// (externalParameters.source_modified, written with the commit).
	Modified     bool
	Target       string // externalParameters.target, e.g. the package built
	Toolchain    string // internalParameters.toolchain, e.g. "go1.26.4"
	Flags        []string
	Environment  map[string]string // internalParameters.environment (GOOS, CGO_ENABLED, SOURCE_DATE_EPOCH...)
	BuilderID    string
	InvocationID string
	Started      time.Time
	Finished     time.Time
	// Byproducts lists artifacts made alongside the subject (the SBOM).
	Byproducts []*ResourceDescriptor
	// ResolvedDependencies lists inputs beyond the source commit (toolchain,
	// modules).
	ResolvedDependencies []*ResourceDescriptor
}

// Provenance builds and validates a SLSA provenance v1 predicate.
func Provenance(o ProvenanceOptions) (*slsav1.Provenance, error) {
	ext := map[string]any{}
	if o.SourceRepo != "" {
		ext["repository"] = o.SourceRepo
	}
	if o.SourceCommit != "" {
		ext["commit"] = o.SourceCommit
		ext["source_modified"] = o.Modified
	}
	if o.Target != "" {
		ext["target"] = o.Target
	}
	internal := map[string]any{}
	if o.Toolchain != "" {
		internal["toolchain"] = o.Toolchain
	}
	if len(o.Flags) > 0 {
		fl := make([]any, len(o.Flags))
		for i, f := range o.Flags {
			fl[i] = f
		}
		internal["flags"] = fl
	}
	if len(o.Environment) > 0 {
		env := map[string]any{}
		for k, v := range o.Environment {
			env[k] = v
		}
		internal["environment"] = env
	}
	extS, err := structpb.NewStruct(ext)
	if err != nil {
		return nil, fmt.Errorf("%w: externalParameters: %v", ErrInvalid, err)
	}
	intS, err := structpb.NewStruct(internal)
	if err != nil {
		return nil, fmt.Errorf("%w: internalParameters: %v", ErrInvalid, err)
	}
	deps := append([]*ResourceDescriptor(nil), o.ResolvedDependencies...)
	switch {
	case o.SourceRepo != "" && o.SourceCommit != "":
		deps = append([]*ResourceDescriptor{{Uri: "git+" + o.SourceRepo, Digest: map[string]string{"gitCommit": o.SourceCommit}}}, deps...)
	case o.SourceCommit != "":
		deps = append([]*ResourceDescriptor{{Name: "source", Digest: map[string]string{"gitCommit": o.SourceCommit}}}, deps...)
	}
	md := &slsav1.BuildMetadata{InvocationId: o.InvocationID}
	if !o.Started.IsZero() {
		md.StartedOn = timestamppb.New(o.Started.UTC())
	}
	if !o.Finished.IsZero() {
		md.FinishedOn = timestamppb.New(o.Finished.UTC())
	}
	p := &slsav1.Provenance{
		BuildDefinition: &slsav1.BuildDefinition{
			BuildType:            o.BuildType,
			ExternalParameters:   extS,
			InternalParameters:   intS,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsav1.RunDetails{
			Builder:    &slsav1.Builder{Id: o.BuilderID},
			Metadata:   md,
			Byproducts: o.Byproducts,
		},
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: provenance: %v", ErrInvalid, err)
	}
	return p, nil
}

// SPDX returns the SPDX document itself as the predicate
// (predicate type https://spdx.dev/Document/v2.3). It must be a JSON object.
func SPDX(doc json.RawMessage) (*structpb.Struct, error) {
	return toStruct(doc)
}

// TestResult builds a test-result v0.1 predicate. configuration names the
// inputs that define the run (report, transcript, vectors) and is required
// by the predicate specification, as is a result of PASSED, WARNED or FAILED.
func TestResult(result string, configuration []*ResourceDescriptor, url string, passed, warned, failed []string) (*trv0.TestResult, error) {
	switch result {
	case Passed, Warned, Failed:
	default:
		return nil, fmt.Errorf("%w: test result %q", ErrInvalid, result)
	}
	if len(configuration) == 0 {
		return nil, fmt.Errorf("%w: test result without configuration", ErrInvalid)
	}
	for _, c := range configuration {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("%w: configuration: %v", ErrInvalid, err)
		}
	}
	if result == Passed && len(failed) > 0 {
		return nil, fmt.Errorf("%w: PASSED with %d failed tests", ErrInvalid, len(failed))
	}
	return &trv0.TestResult{Result: result, Configuration: configuration, Url: url,
		PassedTests: passed, WarnedTests: warned, FailedTests: failed}, nil
}

// VSAOptions describe one verification for SLSA VSA v1
// (https://slsa.dev/spec/v1.0/verification_summary).
type VSAOptions struct {
	VerifierID        string
	TimeVerified      time.Time
	ResourceURI       string
	PolicyURI         string
	PolicyDigest      map[string]string
	InputAttestations []*ResourceDescriptor // uri + digest of each envelope checked
	Result            string                // PASSED or FAILED
	VerifiedLevels    []string
}

// VSA builds a verification summary v1 predicate.
func VSA(o VSAOptions) (*vsav1.VerificationSummary, error) {
	if o.VerifierID == "" || o.ResourceURI == "" || o.PolicyURI == "" {
		return nil, fmt.Errorf("%w: VSA needs verifier id, resourceUri and policy uri", ErrInvalid)
	}
	if o.Result != Passed && o.Result != Failed {
		return nil, fmt.Errorf("%w: verificationResult %q", ErrInvalid, o.Result)
	}
	in := make([]*vsav1.VerificationSummary_InputAttestation, 0, len(o.InputAttestations))
	for _, a := range o.InputAttestations {
		if a.GetUri() == "" || len(a.GetDigest()) == 0 {
			return nil, fmt.Errorf("%w: input attestation needs uri and digest", ErrInvalid)
		}
		in = append(in, &vsav1.VerificationSummary_InputAttestation{Uri: a.GetUri(), Digest: a.GetDigest()})
	}
	return &vsav1.VerificationSummary{
		Verifier:           &vsav1.VerificationSummary_Verifier{Id: o.VerifierID},
		TimeVerified:       timestamppb.New(o.TimeVerified.UTC()),
		ResourceUri:        o.ResourceURI,
		Policy:             &vsav1.VerificationSummary_Policy{Uri: o.PolicyURI, Digest: o.PolicyDigest},
		InputAttestations:  in,
		VerificationResult: o.Result,
		VerifiedLevels:     o.VerifiedLevels,
	}, nil
}
