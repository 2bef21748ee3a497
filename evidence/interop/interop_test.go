package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/release"
)

const defaultCosign = "v2.6.5"

type env struct {
	t      *testing.T
	cosign string
	dir    string
	vars   []string
}

// run executes cosign offline-minded: its TUF cache and home in the temp
// directory, the password empty, no prompts.
func (e *env) run(args ...string) (string, error) {
	e.t.Helper()
	cmd := exec.Command(e.cosign, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.vars...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func setup(t *testing.T) *env {
	if os.Getenv("OPENIHSM_INTEROP") != "1" {
		t.Skip("set OPENIHSM_INTEROP=1 to build cosign from the module proxy and run the interop test")
	}
	version := os.Getenv("OPENIHSM_COSIGN_VERSION")
	if version == "" {
		version = defaultCosign
	}
	dir := t.TempDir()
	gobin := filepath.Join(dir, "bin")
	cmd := exec.Command("go", "install", "github.com/sigstore/cosign/v2/cmd/cosign@"+version)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install cosign@%s: %v\n%s", version, err, out)
	}
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o700)
	return &env{t: t, cosign: filepath.Join(gobin, "cosign"), dir: dir,
		vars: []string{"HOME=" + home, "TUF_ROOT=" + filepath.Join(home, "tuf"), "COSIGN_PASSWORD=", "COSIGN_YES=true"}}
}

// statement writes a blob and a signed-once test-result Statement about it.
func statement(t *testing.T, dir string) (blob string, payload []byte) {
	blob = filepath.Join(dir, "blob.bin")
	if err := os.WriteFile(blob, []byte("reference HSM firmware"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub, err := intoto.FileSubject(blob)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := intoto.TestResult(intoto.Passed, []*intoto.ResourceDescriptor{intoto.BytesSubject("report.json", []byte("{}"))}, "", []string{"all"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := intoto.New([]*intoto.ResourceDescriptor{sub}, intoto.PredicateTestResult, tr)
	if err != nil {
		t.Fatal(err)
	}
	if payload, err = intoto.Marshal(st); err != nil {
		t.Fatal(err)
	}
	return blob, payload
}

// verifyArgs is exactly the command an auditor runs (docs/auditor.md).
func verifyArgs(pub, predicateType, envelope, blob string) []string {
	return []string{"verify-blob-attestation", "--key", pub, "--insecure-ignore-tlog",
		"--type", predicateType, "--signature", envelope, blob}
}

func TestCosignVerifiesOurs(t *testing.T) {
	e := setup(t)
	blob, payload := statement(t, e.dir)
	prefix := filepath.Join(e.dir, "ours")
	priv, err := keys.WriteKeyPair(prefix, nil, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.Sign(context.Background(), dsse.PayloadTypeInToto, payload, priv)
	if err != nil {
		t.Fatal(err)
	}
	sig := filepath.Join(e.dir, "ours.dsse.json")
	write := func(env *dsse.Envelope) {
		data, err := dsse.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sig, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(env)
	args := verifyArgs(prefix+".pub", intoto.PredicateTestResult, sig, blob)
	if out, err := e.run(args...); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("cosign rejected our attestation: %v\n%s", err, out)
	}
	// One bit of the signature, one bit of the payload: both rejected.
	rawSig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	rawSig[len(rawSig)-1] ^= 1
	badSig := *env
	badSig.Signatures = []dsse.Signature{{KeyID: env.Signatures[0].KeyID, Sig: base64.StdEncoding.EncodeToString(rawSig)}}
	rawPayload, _ := env.DecodeB64Payload()
	rawPayload = bytes.Replace(rawPayload, []byte(`"PASSED"`), []byte(`"PASSEE"`), 1)
	badPayload := *env
	badPayload.Payload = base64.StdEncoding.EncodeToString(rawPayload)
	for name, bad := range map[string]*dsse.Envelope{"signature bit": &badSig, "payload bit": &badPayload} {
		write(bad)
		if out, err := e.run(args...); err == nil {
			t.Fatalf("cosign accepted our attestation after a flipped %s:\n%s", name, out)
		}
	}
	other := filepath.Join(e.dir, "blob-other.bin")
	os.WriteFile(other, []byte("other firmware"), 0o644)
	write(env)
	if out, err := e.run(verifyArgs(prefix+".pub", intoto.PredicateTestResult, sig, other)...); err == nil {
		t.Fatalf("cosign accepted our attestation for another blob:\n%s", out)
	}
}

// TestCosignLargeBlob: cosign reads at most 128 MiB of a blob by default;
// for a larger subject, COSIGN_MAX_ATTACHMENT_SIZE or --digest in place of
// the blob (the form docs/auditor.md gives) verify our attestation of it.
func TestCosignLargeBlob(t *testing.T) {
	e := setup(t)
	blob := filepath.Join(e.dir, "large.bin")
	data := make([]byte, 129<<20)
	copy(data, "reference HSM firmware larger than cosign's default limit")
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := intoto.BytesSubject("large.bin", data)
	tr, _ := intoto.TestResult(intoto.Passed, []*intoto.ResourceDescriptor{intoto.BytesSubject("report.json", []byte("{}"))}, "", []string{"all"}, nil, nil)
	st, err := intoto.New([]*intoto.ResourceDescriptor{sub}, intoto.PredicateTestResult, tr)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(e.dir, "ours")
	priv, err := keys.WriteKeyPair(prefix, nil, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := intoto.Sign(context.Background(), st, priv)
	if err != nil {
		t.Fatal(err)
	}
	envData, _ := dsse.Marshal(env)
	sig := filepath.Join(e.dir, "large.dsse.json")
	os.WriteFile(sig, envData, 0o644)
	args := verifyArgs(prefix+".pub", intoto.PredicateTestResult, sig, blob)
	if out, err := e.run(args...); err == nil {
		t.Fatalf("cosign read a blob over its default limit; the docs need not mention it:\n%s", out)
	}
	saved := e.vars
	e.vars = append(e.vars, "COSIGN_MAX_ATTACHMENT_SIZE=1GiB")
	if out, err := e.run(args...); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("with COSIGN_MAX_ATTACHMENT_SIZE: %v\n%s", err, out)
	}
	e.vars = saved
	byDigest := append(args[:len(args)-1:len(args)-1], "--digest", sub.Digest["sha256"], "--digestAlg", "sha256")
	if out, err := e.run(byDigest...); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("with --digest: %v\n%s", err, out)
	}
}

// TestCosignVerifiesOurEvidence runs the auditor's cosign command, exactly
// as docs/auditor.md gives it, over every attestation of a real evidence
// directory of the reference HSM firmware (the default package and tags).
func TestCosignVerifiesOurEvidence(t *testing.T) {
	e := setup(t)
	prefix := filepath.Join(e.dir, "producer")
	priv, err := keys.WriteKeyPair(prefix, nil, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	out := filepath.Join(e.dir, "evidence")
	m, err := release.Produce(context.Background(), release.ProduceOptions{Source: root,
		Out: out, Key: priv, SourceDateEpoch: 1700000000, AllowModified: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range m.Files {
		if f.Role != release.RoleAttestation {
			continue
		}
		args := verifyArgs(prefix+".pub", f.PredicateType, filepath.Join(out, f.Path), filepath.Join(out, m.Subject.Path))
		if msg, err := e.run(args...); err != nil || !strings.Contains(msg, "Verified OK") {
			t.Errorf("cosign rejected %s: %v\n%s", f.Path, err, msg)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("only %d attestations in the evidence", n)
	}
}

func TestWeVerifyCosigns(t *testing.T) {
	e := setup(t)
	_, payload := statement(t, e.dir)
	st := filepath.Join(e.dir, "statement.json")
	os.WriteFile(st, payload, 0o644)
	if out, err := e.run("generate-key-pair", "--output-key-prefix", "cosign"); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, out)
	}
	cosignPub, err := keys.LoadPublic(filepath.Join(e.dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.LoadPrivate(filepath.Join(e.dir, "cosign.key"), []byte{}); err != nil {
		t.Fatalf("our loader cannot open cosign's key: %v", err)
	}
	ourPriv, err := keys.WriteKeyPair(filepath.Join(e.dir, "ours"), nil, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		pub  any
		name string
	}{{"cosign.key", cosignPub, "cosign's P-256 key"}, {"ours.key", ourPriv.Public(), "our P-384 key"}} {
		out := filepath.Join(e.dir, c.key+".att.json")
		if msg, err := e.run("attest-blob", "--key", c.key, "--tlog-upload=false", "--statement", st, "--output-signature", out, "--yes"); err != nil {
			t.Fatalf("attest-blob with %s: %v\n%s", c.name, err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		envl, err := dsse.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var pub any = c.pub
		v, err := intoto.Verify(context.Background(), envl, 1, pub)
		if err != nil {
			t.Fatalf("our verifier rejected cosign's attestation with %s: %v", c.name, err)
		}
		if !bytes.Equal(v.Payload, payload) {
			t.Fatalf("%s: cosign signed other bytes than the statement", c.name)
		}
	}
}
