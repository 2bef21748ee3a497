//go:build !ihsmfirmware

package main

import (
	"bufio"
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openihsm/openihsm/spec/wire"
)

// cli runs the real CLI for one test against target with the PIN in a
// file, and checks exit codes and messages.
type cli struct {
	t   *testing.T
	dir string
	// bin, when set, is an ihsm binary each command runs as a process of
	// its own; otherwise commands run in the test's process.
	bin string
}

func newCLI(t *testing.T, target string) *cli {
	t.Setenv("IHSM_TARGET", target)
	t.Setenv("IHSM_PIN", "")
	c := &cli{t: t, dir: t.TempDir()}
	c.write("pin", []byte("a fine pin\n"))
	c.write("msg", []byte("hello from the CLI"))
	return c
}

func (c *cli) f(name string) string { return filepath.Join(c.dir, name) }

func (c *cli) write(name string, b []byte) {
	c.t.Helper()
	if err := os.WriteFile(c.f(name), b, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cli) read(name string) []byte {
	c.t.Helper()
	b, err := os.ReadFile(c.f(name))
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func (c *cli) pin() string { return "--pin-file=" + c.f("pin") }

// run runs one ihsm command and returns its exit code and output.
func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	if c.bin == "" {
		return runIHSM(args...)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		c.t.Fatalf("%s: %v", c.bin, err)
	}
	return code, out.String(), errOut.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		c.t.Fatalf("ihsm %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (c *cli) fails(wantCode int, wantErr string, args ...string) {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != wantCode || !strings.Contains(errOut, wantErr) {
		c.t.Fatalf("ihsm %s: exit %d, want %d with %q\n%s%s", strings.Join(args, " "), code, wantCode, wantErr, out, errOut)
	}
}

// key runs a command that makes a key and returns the handle it prints
// ("key 0x... Kind").
func (c *cli) key(wantKind string, args ...string) string {
	c.t.Helper()
	out := c.ok(args...)
	f := strings.Fields(out)
	if len(f) != 3 || f[0] != "key" || f[2] != wantKind {
		c.t.Fatalf("ihsm %s: printed %q, want key HANDLE %s", strings.Join(args, " "), out, wantKind)
	}
	return f[1]
}

// importRaw imports raw key bytes as a key of kind through wrap and unwrap,
// so a test knows a device key's value and can check the device's results.
func (c *cli) importRaw(name string, raw []byte, kind, usage string) string {
	c.t.Helper()
	c.write(name, raw)
	c.ok("key", "wrap", c.pin(), "--raw", c.f(name), "--out", c.f(name+".wrapped"))
	return c.key(wireKind(c.t, kind), "key", "unwrap", c.pin(), "--in", c.f(name+".wrapped"), "--kind", kind, "--usage", usage)
}

func wireKind(t *testing.T, s string) string {
	k, err := parseKind(s)
	if err != nil {
		t.Fatal(err)
	}
	return k.String()
}

// hmacOf returns the HMAC-SHA256 of the test message under the device key
// handle, as 'ihsm key hmac' computes it.
func (c *cli) hmacOf(handle string) []byte {
	c.t.Helper()
	c.ok("key", "hmac", c.pin(), "--key", handle, "--in", c.f("msg"), "--out", c.f("mac"))
	return c.read("mac")
}

func localHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// kbkdf is SP 800-108r1 §4.1 counter mode with HMAC-SHA256 for one block,
// counter before the fixed data (r = 32), written out from the standard.
func kbkdf(key, label, context []byte, length int) []byte {
	var in []byte
	in = binary.BigEndian.AppendUint32(in, 1)
	in = append(in, label...)
	in = append(in, 0)
	in = append(in, context...)
	in = binary.BigEndian.AppendUint32(in, uint32(length*8))
	return localHMAC(key, in)[:length]
}

// TestHSMMacAndDerivation drives HMAC, ML-KEM-768, ECDH, HKDF and KBKDF
// through the CLI and checks every result against a local computation:
// keys of known value are imported, and a secret that never leaves the
// device is checked through the HMAC key derived from it.
func TestHSMMacAndDerivation(t *testing.T) { macAndDerivation(newCLI(t, serveHSM(t))) }

func macAndDerivation(c *cli) {
	t := c.t
	c.ok("provision", c.pin())
	msg := c.read("msg")

	// HMAC of a known key.
	hkey := make([]byte, 32)
	rand.Read(hkey)
	mac := c.importRaw("hkey", hkey, "hmac-sha256", "sign,derive")
	if got := c.hmacOf(mac); !hmac.Equal(got, localHMAC(hkey, msg)) {
		t.Fatalf("ihsm key hmac = %x, want %x", got, localHMAC(hkey, msg))
	}
	c.fails(2, "ihsm key hmac", "key", "sign", c.pin(), "--key", mac, "--alg", "hmac-sha256", "--in", c.f("msg"), "--out", c.f("sig"))
	c.fails(2, "ihsm key hmac", "key", "verify", c.pin(), "--key", mac, "--alg", "HmacSha384", "--in", c.f("msg"), "--sig", c.f("msg"))
	c.fails(2, "--in is required", "key", "hmac", c.pin(), "--key", mac, "--out", c.f("mac"))
	p256 := c.key("EccP256", "key", "gen", c.pin(), "--kind", "ecc-p256", "--usage", "sign,verify,derive", "--pub-out", c.f("dev.pem"))
	c.fails(1, "UnsupportedKeyKind", "key", "hmac", c.pin(), "--key", p256, "--in", c.f("msg"), "--out", c.f("mac"))

	// KBKDF from the known HMAC key to an HMAC key: the derived key's MAC
	// is the MAC under SP 800-108's output.
	kb := c.key("HmacSha256", "key", "kbkdf", c.pin(), "--key", mac, "--hash", "sha256", "--target-kind", "hmac-sha256",
		"--kdf-label", "6c6162656c", "--context", "c0ffee", "--masked-out", c.f("kb.masked"))
	if len(c.read("kb.masked")) == 0 {
		t.Fatal("kbkdf wrote no masked blob")
	}
	want := kbkdf(hkey, []byte("label"), []byte{0xc0, 0xff, 0xee}, 32)
	if got := c.hmacOf(kb); !hmac.Equal(got, localHMAC(want, msg)) {
		t.Fatal("the KBKDF key is not SP 800-108's output")
	}
	c.fails(2, "--hash", "key", "kbkdf", c.pin(), "--key", mac, "--hash", "md5", "--target-kind", "aes-256")
	c.fails(2, "--context", "key", "kbkdf", c.pin(), "--key", mac, "--hash", "sha256", "--target-kind", "aes-256", "--context", "xyz")
	c.fails(2, "--target-kind is required", "key", "kbkdf", c.pin(), "--key", mac, "--hash", "sha256")
	c.fails(1, "UnsupportedKeyKind", "key", "kbkdf", c.pin(), "--key", mac, "--hash", "sha256", "--target-kind", "ecc-p256")

	// ECDH with a local key: the device's secret, put through HKDF into an
	// HMAC key, gives the MAC the local secret does.
	local, _ := ecdh.P256().GenerateKey(rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(local.PublicKey())
	c.write("peer.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	secret := c.key("Secret256", "key", "ecdh", c.pin(), "--key", p256, "--peer", c.f("peer.pem"), "--masked-out", c.f("ss.masked"))
	devPub := parsePubPEM(t, c.read("dev.pem"))
	z, err := local.ECDH(devPub)
	if err != nil {
		t.Fatal(err)
	}
	hk := c.key("HmacSha256", "key", "hkdf", c.pin(), "--key", secret, "--hash", "sha-256", "--target-kind", "hmac-sha256",
		"--salt", "0102", "--info", hex.EncodeToString([]byte("ihsm test")))
	wantKey, _ := hkdf.Key(sha256.New, z, []byte{1, 2}, "ihsm test", 32)
	if got := c.hmacOf(hk); !hmac.Equal(got, localHMAC(wantKey, msg)) {
		t.Fatal("ECDH then HKDF on the device differs from the local computation")
	}
	// The same through a raw SEC 1 point as --peer, and the secret named by
	// its masked blob.
	c.write("peer.raw", local.PublicKey().Bytes())
	c.key("Secret256", "key", "ecdh", c.pin(), "--key", p256, "--peer", c.f("peer.raw"))
	c.key("HmacSha256", "key", "hkdf", c.pin(), "--masked", c.f("ss.masked"), "--hash", "sha256", "--target-kind", "hmac-sha256")
	c.fails(1, "--peer", "key", "ecdh", c.pin(), "--key", p256, "--peer", c.f("msg"))
	other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	c.write("p384.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: otherDER}))
	c.fails(1, "InvalidPublicKey", "key", "ecdh", c.pin(), "--key", p256, "--peer", c.f("p384.pem"))
	c.fails(1, "UnsupportedKeyKind", "key", "ecdh", c.pin(), "--key", mac, "--peer", c.f("peer.pem"))
	c.fails(2, "--salt", "key", "hkdf", c.pin(), "--key", secret, "--hash", "sha256", "--target-kind", "aes-256", "--salt", "0")

	// ML-KEM-768: encapsulation and decapsulation give the same secret, as
	// the HMAC keys derived from the two show.
	kem := c.key("MlKem768", "key", "gen", c.pin(), "--kind", "ml-kem-768")
	ss1 := c.key("Secret256", "key", "encapsulate", c.pin(), "--key", kem, "--out", c.f("ct"), "--tag", "77")
	ss2 := c.key("Secret256", "key", "decapsulate", c.pin(), "--key", kem, "--in", c.f("ct"), "--label", "decapsulated")
	if n := len(c.read("ct")); n != 1088 {
		t.Fatalf("ML-KEM-768 ciphertext of %d bytes", n)
	}
	k1 := c.key("HmacSha256", "key", "hkdf", c.pin(), "--key", ss1, "--hash", "sha256", "--target-kind", "hmac-sha256")
	k2 := c.key("HmacSha256", "key", "hkdf", c.pin(), "--key", ss2, "--hash", "sha256", "--target-kind", "hmac-sha256")
	if !hmac.Equal(c.hmacOf(k1), c.hmacOf(k2)) {
		t.Fatal("encapsulated and decapsulated secrets differ")
	}
	c.write("short-ct", c.read("ct")[:100])
	c.fails(1, "InvalidLength", "key", "decapsulate", c.pin(), "--key", kem, "--in", c.f("short-ct"))
	c.fails(1, "KeyTagExists", "key", "encapsulate", c.pin(), "--key", kem, "--out", c.f("ct2"), "--tag", "77")
	c.fails(1, "UnsupportedKeyKind", "key", "encapsulate", c.pin(), "--key", p256, "--out", c.f("ct2"))
	c.fails(2, "--out is required", "key", "encapsulate", c.pin(), "--key", kem)
	// A secret is for derivation only: no MAC, no signature.
	c.fails(1, "UnsupportedKeyKind", "key", "hmac", c.pin(), "--key", ss1, "--in", c.f("msg"), "--out", c.f("mac"))
}

func parsePubPEM(t *testing.T, b []byte) *ecdh.PublicKey {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	e, err := pub.(*ecdsa.PublicKey).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestHSMChangePin changes the PIN through the CLI: the old PIN stops
// working, the new one works, and bad input is refused.
func TestHSMChangePin(t *testing.T) { changePin(newCLI(t, serveHSM(t))) }

func changePin(c *cli) {
	t := c.t
	c.ok("provision", c.pin())
	c.write("new", []byte("a finer pin\n"))
	c.write("short", []byte("short\n"))
	c.write("empty", nil)
	c.fails(2, "--new-pin-file is required", "pin", "change", c.pin())
	c.fails(2, "unknown subcommand", "pin", "rotate")
	c.fails(1, "PinPolicyViolation", "pin", "change", c.pin(), "--new-pin-file", c.f("short"))
	c.fails(1, "file is empty", "pin", "change", c.pin(), "--new-pin-file", c.f("empty"))
	c.fails(1, "PinIncorrect", "pin", "change", "--pin-file", c.f("new"), "--new-pin-file", c.f("new"))
	if out := c.ok("pin", "change", c.pin(), "--new-pin-file", c.f("new")); !strings.Contains(out, "PIN changed") {
		t.Fatalf("pin change printed %q", out)
	}
	c.fails(1, "PinIncorrect", "key", "list", c.pin())
	c.ok("key", "list", "--pin-file", c.f("new"))
}

// TestVersionDevice asks the device for its API revisions.
func TestVersionDevice(t *testing.T) { versionDevice(newCLI(t, serveHSM(t))) }

func versionDevice(c *cli) {
	t := c.t
	out := c.ok("version", "--device")
	rev := func(v uint16) string { return string(rune('0'+v>>8)) + "." + string(rune('0'+v&0xff)) }
	if want := "API revisions " + rev(wire.Revision) + " to " + rev(wire.Revision); !strings.Contains(out, want) {
		t.Fatalf("version --device printed %q, want %q", out, want)
	}
	c.fails(1, "no such file", "version", "--device", "--target", "unix://"+c.f("nothing.sock"))
	c.fails(2, "", "version", "--device", "extra")
}

// TestHSMCommandSurvivesMigration migrates the device between a command's
// OpenSession and its operation: the operation answers
// SessionNeedsRenegotiation, the CLI reopens the session with the same PIN
// (ReopenSession) and the command succeeds.
func TestHSMCommandSurvivesMigration(t *testing.T) {
	target, dev := serveHSMDevice(t)
	c := newCLI(t, target)
	c.ok("provision", c.pin())
	key := c.key("EccP256", "key", "gen", c.pin(), "--kind", "ecc-p256")
	var reopened atomic.Int32
	proxy := frameProxy(t, strings.TrimPrefix(target, "unix://"), func(op uint16) {
		switch op {
		case wire.OpSign:
			if reopened.Load() == 0 {
				dev.Migrate()
			}
		case wire.OpReopenSession:
			reopened.Add(1)
		}
	})
	c.ok("key", "sign", c.pin(), "--target", proxy, "--key", key, "--alg", "ecdsa-sha256", "--in", c.f("msg"), "--out", c.f("sig"))
	if reopened.Load() != 1 {
		t.Fatalf("%d ReopenSession requests, want 1", reopened.Load())
	}
	c.ok("key", "verify", c.pin(), "--key", key, "--alg", "ecdsa-sha256", "--in", c.f("msg"), "--sig", c.f("sig"))
}

// frameProxy listens on a new Unix socket and relays frames to the socket
// at backend, calling seen with the opcode of each request before relaying
// it. It returns the proxy's target.
func frameProxy(t *testing.T, backend string, seen func(op uint16)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", backend)
			if err != nil {
				in.Close()
				return
			}
			go func() {
				defer in.Close()
				defer out.Close()
				r := bufio.NewReader(in)
				for {
					frame, err := wire.ReadFrame(r, wire.MaxFrame)
					if err != nil {
						return
					}
					if h, _, err := wire.DecodeRequest(frame); err == nil {
						seen(h.Opcode)
					}
					if err := wire.WriteFrame(out, frame); err != nil {
						return
					}
				}
			}()
			go func() {
				if _, err := io.Copy(in, out); err != nil && !errors.Is(err, net.ErrClosed) {
					return
				}
			}()
		}
	}()
	return "unix://" + path
}
