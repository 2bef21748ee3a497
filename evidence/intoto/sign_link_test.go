package intoto

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/keys"
)

func TestSignVerifyStatement(t *testing.T) {
	ctx := context.Background()
	k, _ := keys.Generate(nil)
	other, _ := keys.Generate(nil)
	sub := BytesSubject("fw.bin", []byte("firmware"))
	tr, err := TestResult(Passed, []*ResourceDescriptor{BytesSubject("report.json", []byte("{}"))}, "", []string{"a"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New([]*ResourceDescriptor{sub}, PredicateTestResult, tr)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(ctx, st, k)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, env, 1, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !HasSubjectDigest(v.Statement, "sha384", sub.Digest["sha384"]) || HasSubjectDigest(v.Statement, "sha384", "") {
		t.Fatal("subject digest lookup")
	}
	if _, err := Verify(ctx, env, 1, other.Public()); !errors.Is(err, dsse.ErrThreshold) {
		t.Fatalf("other key: %v", err)
	}
	wrongType, _ := dsse.Sign(ctx, "application/json", v.Payload, k)
	if _, err := Verify(ctx, wrongType, 1, k.Public()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("payload type: %v", err)
	}
}

func TestLink(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module x\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(out, "x"), []byte("binary"), 0o755)
	k, _ := keys.Generate(nil)
	data, err := RecordLink(LinkStep{Name: "build", Command: []string{"go", "build"}, Root: src, Materials: []string{"go.mod", "main.go"}, ProductRoot: out, Products: []string{"x"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	link, err := VerifyLink(data, &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	want := BytesSubject("", []byte("binary")).Digest
	if link.Name != "build" || len(link.Materials) != 2 || link.Products["x"]["sha384"] != want["sha384"] {
		t.Fatalf("link %+v", link)
	}
	other, _ := keys.Generate(nil)
	if _, err := VerifyLink(data, &other.PublicKey); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other key: %v", err)
	}
	tampered := bytes.Replace(data, []byte(want["sha384"]), []byte(BytesSubject("", []byte("other")).Digest["sha384"]), 1)
	if _, err := VerifyLink(tampered, &k.PublicKey); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered product digest: %v", err)
	}
	if _, err := RecordLink(LinkStep{Name: "build", Root: src, Materials: []string{"../etc/passwd"}}, k); err == nil {
		t.Fatal("material outside the root accepted")
	}
}
