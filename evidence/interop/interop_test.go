package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
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
	data, _ := dsse.Marshal(env)
	sig := filepath.Join(e.dir, "ours.dsse.json")
	os.WriteFile(sig, data, 0o644)
	args := []string{"verify-blob-attestation", "--key", prefix + ".pub", "--insecure-ignore-tlog",
		"--signature-digest-algorithm", "sha384", "--type", intoto.PredicateTestResult, "--signature", sig, blob}
	if out, err := e.run(args...); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("cosign rejected our attestation: %v\n%s", err, out)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(sig, data, 0o644)
	if out, err := e.run(args...); err == nil {
		t.Fatalf("cosign accepted a modified envelope:\n%s", out)
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
