//go:build !ihsmfirmware

package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/servetest"
)

// TestEndToEnd runs the CLI walkthroughs with nothing in the test's
// process: the ihsm binary as a user installs it, against `ihsm serve` of
// the firmware build, a process of its own with its state on disk. Each
// walkthrough gets a fresh device; the restart case stops the device and
// starts it again on the same state.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ihsm binary twice and runs it as processes")
	}
	cliBin := servetest.Build(t, "")
	firmware := servetest.Build(t, servetest.FirmwareTags)
	for _, w := range []struct {
		name string
		walk func(*cli)
	}{
		{"commands", hsmCommands},
		{"mac-and-derivation", macAndDerivation},
		{"change-pin", changePin},
		{"version", versionDevice},
	} {
		t.Run(w.name, func(t *testing.T) {
			p := startServe(t, firmware, t.TempDir())
			c := newCLI(t, p.Target)
			c.bin = cliBin
			w.walk(c)
			p.Stop(t)
		})
	}

	// Stopped and started again on the same state, the device keeps its
	// partition credential, its identity and the masking key its masked
	// blobs are under.
	t.Run("restart", func(t *testing.T) {
		state := t.TempDir()
		p := startServe(t, firmware, state)
		c := newCLI(t, p.Target)
		c.bin = cliBin
		c.ok("provision", c.pin())
		c.ok("device", "certs", "--out", c.f("before"))
		c.key("EccP256", "key", "gen", c.pin(), "--kind", "ecc-p256", "--usage", "sign,verify",
			"--masked-out", c.f("p256.masked"), "--pub-out", c.f("p256.pem"))
		p.Stop(t)

		p = startServe(t, firmware, state)
		t.Setenv("IHSM_TARGET", p.Target)
		c.ok("device", "certs", "--out", c.f("after"))
		for _, name := range []string{"root.pem", "device.pem"} {
			if before, after := c.read("before/"+name), c.read("after/"+name); !bytes.Equal(before, after) {
				t.Errorf("%s changed across a restart", name)
			}
		}
		c.fails(1, "PartitionAlreadyProvisioned", "provision", c.pin())
		c.ok("key", "sign", c.pin(), "--masked", c.f("p256.masked"), "--alg", "ecdsa-sha256", "--in", c.f("msg"), "--out", c.f("sig"))
		c.ok("key", "verify", c.pin(), "--masked", c.f("p256.masked"), "--alg", "ecdsa-sha256", "--in", c.f("msg"), "--sig", c.f("sig"))
		p.Stop(t)
	})
}

// startServe starts the firmware's `ihsm serve` on state with its sockets
// in a new short-named directory (a Unix socket path is at most 108 bytes).
func startServe(t *testing.T, bin, state string) *servetest.Process {
	t.Helper()
	sockets, err := os.MkdirTemp("", "ihsm-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockets) })
	p := servetest.Start(t, bin, "--state", state, "--socket-dir", sockets, "--self-test-interval", "0")
	t.Cleanup(func() {
		if p.Cmd.ProcessState == nil {
			p.Cmd.Process.Kill()
			p.Cmd.Wait()
		}
	})
	return p
}
