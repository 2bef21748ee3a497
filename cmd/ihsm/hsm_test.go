//go:build !ihsmfirmware

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
)

// serveHSM serves a fresh reference HSM on Unix sockets for one test and
// returns the target of partition 0.
func serveHSM(t *testing.T) string {
	t.Helper()
	target, _ := serveHSMDevice(t)
	return target
}

// serveHSMDevice is serveHSM that also returns the device, for tests that
// act on it as its platform would (a migration).
func serveHSMDevice(t *testing.T) (string, *device.Device) {
	t.Helper()
	dev, err := device.New(device.Config{
		FirmwareVersion:     "cli-test",
		FirmwareMeasurement: sha512.Sum384([]byte("cli test firmware")),
		SelfTestInterval:    -1,
		PINIterations:       1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ihsm")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Listen(server.Config{Device: dev, SocketDir: filepath.Join(dir, "s")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		dev.Close()
		os.RemoveAll(dir)
	})
	return "unix://" + filepath.Join(dir, "s", "partition-0.sock"), dev
}

// TestHSMCommands drives a device through the CLI alone, as a user would:
// provision, make keys, persist them as masked blobs, sign, verify (with
// openssl too), encrypt, wrap and import, attest and verify the report.
func TestHSMCommands(t *testing.T) { hsmCommands(newCLI(t, serveHSM(t))) }

func hsmCommands(c *cli) {
	t, f, ok, fails := c.t, c.f, c.ok, c.fails
	pin := c.pin()

	if out := ok("device", "info"); !strings.Contains(out, "Unprovisioned") {
		t.Fatalf("device info before provisioning:\n%s", out)
	}
	ok("device", "caps")
	ok("device", "selftest", "--run")
	fails(1, "no PIN", "provision")
	ok("provision", pin)
	fails(1, "PartitionAlreadyProvisioned", "provision", pin)
	ok("device", "certs", "--out", f("chain"))
	root := "--root=" + f("chain/root.pem")

	os.WriteFile(f("badpin"), []byte("not the pin"), 0o600)
	fails(1, "PinIncorrect", "key", "list", "--pin-file="+f("badpin"))
	fails(2, "--kind is required", "key", "gen", pin)

	// A key made in one invocation is used in the next by handle, and
	// through its masked blob.
	out := ok("key", "gen", pin, root, "--kind", "ecc-p256", "--usage", "sign,verify", "--tag", "9",
		"--masked-out", f("p256.masked"), "--pub-out", f("p256.pem"))
	handle := strings.Fields(out)[1]
	if !strings.Contains(ok("key", "list", pin), handle) {
		t.Fatal("key list does not show the new key")
	}
	ok("key", "sign", pin, "--masked", f("p256.masked"), "--alg", "ecdsa-sha256", "--in", f("msg"), "--out", f("p256.sig"))
	ok("key", "verify", pin, "--key", handle, "--alg", "ecdsa-sha256", "--in", f("msg"), "--sig", f("p256.sig"))
	os.WriteFile(f("other"), []byte("another message"), 0o644)
	fails(1, "SignatureInvalid", "key", "verify", pin, "--key", handle, "--alg", "ecdsa-sha256", "--in", f("other"), "--sig", f("p256.sig"))
	pemOut := ok("key", "pub", pin, "--key", handle, "--pem")
	if disk, _ := os.ReadFile(f("p256.pem")); pemOut != string(disk) {
		t.Fatal("key pub --pem differs from gen --pub-out")
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command(openssl, "dgst", "-sha256", "-verify", f("p256.pem"), "-signature", f("p256.sig"), f("msg"))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl rejects the CLI's signature: %v\n%s", err, b)
		}
	}

	// Ed25519 signs the message itself.
	ok("key", "gen", pin, "--kind", "ed25519", "--masked-out", f("ed.masked"), "--pub-out", f("ed.pem"))
	ok("key", "sign", pin, "--masked", f("ed.masked"), "--alg", "ed25519", "--in", f("msg"), "--out", f("ed.sig"))
	if openssl, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", f("ed.pem"), "-rawin", "-in", f("msg"), "-sigfile", f("ed.sig"))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl rejects the CLI's Ed25519 signature: %v\n%s", err, b)
		}
	}

	// AES-GCM round trip.
	ok("key", "gen", pin, "--kind", "aes-256", "--masked-out", f("aes.masked"))
	ok("key", "encrypt", pin, "--masked", f("aes.masked"), "--alg", "aes-gcm", "--in", f("msg"), "--out", f("ct"))
	ok("key", "decrypt", pin, "--masked", f("aes.masked"), "--alg", "aes-gcm", "--in", f("ct"), "--out", f("pt"))
	if b, _ := os.ReadFile(f("pt")); string(b) != "hello from the CLI" {
		t.Fatalf("decrypted %q", b)
	}

	// Import a local key with CKM_RSA_AES_KEY_WRAP; the device's public
	// key is the local one.
	local, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(local)
	os.WriteFile(f("local.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	ok("key", "wrap", pin, "--in", f("local.pem"), "--out", f("wrapped"))
	ok("key", "unwrap", pin, "--in", f("wrapped"), "--kind", "ecc-p384", "--pub-out", f("imported.pem"))
	wantPub, _ := x509.MarshalPKIXPublicKey(&local.PublicKey)
	if b, _ := os.ReadFile(f("imported.pem")); string(b) != string(pemPublic(wantPub)) {
		t.Fatal("the imported key's public key is not the local one")
	}

	// Attest the key and verify the report against the saved chain.
	ok("key", "attest", pin, "--key", handle, "--report-data", "c0ffee", "--out", f("report"))
	if out := ok("attest", "verify", "--report", f("report"), "--chain", f("chain"), root, "--report-data", "c0ffee"); !strings.Contains(out, "key report verified") {
		t.Fatalf("attest verify:\n%s", out)
	}
	fails(1, "report_data", "attest", "verify", "--report", f("report"), "--chain", f("chain"), "--report-data", "00")
	ok("attest", "device", "--out", f("devreport"))
	if out := ok("attest", "verify", "--report", f("devreport"), "--chain", f("chain"), root); !strings.Contains(out, "device report verified") {
		t.Fatalf("attest verify of a device report:\n%s", out)
	}

	ok("key", "delete", pin, "--key", handle)
	fails(1, "KeyNotFound", "key", "pub", pin, "--key", handle)
	fails(2, "unknown subcommand", "key", "frobnicate")
}
