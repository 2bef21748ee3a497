//go:build !ihsmfaults && !ihsmfirmware

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildIHSM builds the ihsm binary with the given build tags into dir.
func buildIHSM(t *testing.T, dir, name string, tags ...string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestFaultInjectionOnlyWithTag builds the production binary and the
// mutation-testing binary (-tags ihsmfaults). The production binary holds
// no fault name and has neither `ihsm mutants` nor `serve --insecure-fault`;
// the tagged one refuses faults on a state directory, and its mutation run
// shows the suite catching two faults, so a plain `go test ./...` runs
// fault injection end to end.
func TestFaultInjectionOnlyWithTag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ihsm binary twice and runs the suite twice")
	}
	dir := t.TempDir()
	prod := buildIHSM(t, dir, "ihsm")
	faulty := buildIHSM(t, dir, "ihsm-faults", "ihsmfaults")

	out, err := exec.Command(faulty, "mutants", "--list").Output()
	if err != nil {
		t.Fatalf("ihsm mutants --list: %v", err)
	}
	names := strings.Fields(string(out))
	if len(names) < 13 {
		t.Fatalf("ihsm mutants --list names %d faults: %q", len(names), names)
	}
	data, err := os.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	control, err := os.ReadFile(faulty)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(names, "FAULT-INJECTED", "insecure-fault") {
		if !bytes.Contains(control, []byte(s)) {
			t.Errorf("the search is blind: the tagged binary lacks %q", s)
		}
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the production binary contains %q", s)
		}
	}
	if err := exec.Command(prod, "mutants", "--list").Run(); exitCode(err) != 2 {
		t.Errorf("production ihsm mutants: %v, want exit 2 (unknown command)", err)
	}
	sock := filepath.Join(dir, "s")
	if err := exec.Command(prod, "serve", "--ephemeral", "--socket-dir", sock, "--insecure-fault", names[0]).Run(); exitCode(err) != 2 {
		t.Errorf("production ihsm serve --insecure-fault: %v, want exit 2 (unknown flag)", err)
	}
	for _, args := range [][]string{
		{"--state", filepath.Join(dir, "state")},
		{"--ephemeral", "--tcp", "127.0.0.1:0", "--allow-non-loopback"},
	} {
		cmd := exec.Command(faulty, append(append([]string{"serve", "--socket-dir", sock}, args...), "--insecure-fault", names[0])...)
		if out, err := cmd.CombinedOutput(); exitCode(err) != 1 {
			t.Errorf("ihsm serve %v --insecure-fault: %v, want exit 1\n%s", args, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "device")); err == nil {
		t.Error("a faulty device wrote a state directory")
	}

	mut := exec.Command(faulty, "mutants", "--fault", "accept-replayed-channel-message",
		"--fault", "accept-plaintext-in-session", "--out", filepath.Join(dir, "mutants"))
	out, err = mut.Output()
	if err != nil || !strings.Contains(string(out), "2 of 2 faults caught") {
		t.Fatalf("ihsm mutants: %v\n%s", err, out)
	}
}
