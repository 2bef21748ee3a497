//go:build !ihsmfirmware

package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// defaultTarget is partition 0 of an `ihsm serve` run by this user with its
// default socket directory ($TMPDIR/ihsm-UID).
func defaultTarget() string {
	return "unix://" + filepath.Join(os.TempDir(), fmt.Sprintf("ihsm-%d", os.Getuid()), "partition-0.sock")
}

// hsmConn holds the flags every command that talks to a device shares.
type hsmConn struct {
	target  string
	root    string
	timeout time.Duration
	pinFile string
	withPIN bool
	stderr  io.Writer
}

// hsmFlags returns a flag set named "ihsm <name>" with the connection flags
// (and --pin-file if withPIN).
func hsmFlags(name string, stderr io.Writer, withPIN bool) (*flag.FlagSet, *hsmConn) {
	fs := flag.NewFlagSet("ihsm "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &hsmConn{withPIN: withPIN, stderr: stderr}
	target := os.Getenv("IHSM_TARGET")
	if target == "" {
		target = defaultTarget()
	}
	fs.StringVar(&c.target, "target", target, "device endpoint: unix:///path, tcp://host:port or exec:program args (env IHSM_TARGET)")
	fs.StringVar(&c.root, "root", os.Getenv("IHSM_ROOT"), "PEM root certificate to pin (env IHSM_ROOT; default: trust the device's own root for this run)")
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "time limit of the whole command")
	if withPIN {
		fs.StringVar(&c.pinFile, "pin-file", "", "file holding the partition PIN (default: env IHSM_PIN)")
	}
	return fs, c
}

// newPlainFlags returns a flag set for a command that talks to no device.
func newPlainFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ihsm "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// hsmParse parses args; a usage error prints to stderr and becomes exit
// status 2.
func hsmParse(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitError{0}
		}
		return nil, exitError{2}
	}
	return fs.Args(), nil
}

// hsmUsage reports a usage error: message to stderr, exit status 2.
func hsmUsage(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return exitError{2}
}

// dial connects to the device and returns a client and a function that
// releases everything.
func (c *hsmConn) dial() (context.Context, *client.Client, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	var opts []client.Option
	if c.root != "" {
		root, err := readCertPEM(c.root)
		if err != nil {
			cancel()
			return nil, nil, nil, fmt.Errorf("--root: %w", err)
		}
		opts = append(opts, client.WithRootCertificate(root))
	} else if c.withPIN {
		// The PIN is sealed to the credential key the device's chain
		// vouches for; without a pinned root, any device that answers at
		// the target (another user's socket, say) gets to vouch for itself.
		fmt.Fprintf(c.stderr, "ihsm: warning: no --root: trusting whatever device answers at %s (trust on first use); pin its root with --root FILE or IHSM_ROOT (ihsm device certs --out DIR writes root.pem)\n", c.target)
	}
	t, err := transport.Dial(ctx, c.target)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, client.New(t, opts...), func() { t.Close(); cancel() }, nil
}

// pin reads the PIN from --pin-file or IHSM_PIN; never from the command
// line, where other users could read it in the process list.
func (c *hsmConn) pin() ([]byte, error) {
	if c.pinFile != "" {
		b, err := readPINFile(c.pinFile)
		if err != nil {
			return nil, fmt.Errorf("--pin-file: %w", err)
		}
		return b, nil
	}
	if p := os.Getenv("IHSM_PIN"); p != "" {
		return []byte(p), nil
	}
	return nil, errors.New("no PIN: use --pin-file FILE or set IHSM_PIN")
}

// devSession is the one session of a CLI command, with the PIN that
// opened it, kept until the command ends so the session can be reopened.
type devSession struct {
	*client.Session
	pin []byte
}

// session dials, opens a session with the PIN and returns it with a
// function that closes the session and the connection and clears the PIN.
func (c *hsmConn) session() (context.Context, *devSession, func(), error) {
	pin, err := c.pin()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cl, done, err := c.dial()
	if err != nil {
		clear(pin)
		return nil, nil, nil, err
	}
	s, err := cl.OpenSession(ctx, pin)
	if err != nil {
		clear(pin)
		done()
		return nil, nil, nil, err
	}
	return ctx, &devSession{Session: s, pin: pin}, func() { s.Close(ctx); done(); clear(pin) }, nil
}

// do runs one command of the session. A command process holds its session
// for a moment only, so the one event that can overtake it is a migration
// of the device: every command then answers SessionNeedsRenegotiation,
// having run nothing (the session rule comes before the handler). do then
// reopens the session with the same PIN (ReopenSession: same id, new
// channel keys) and runs the command once more, which is what a user of
// the CLI would otherwise do by hand.
func (s *devSession) do(ctx context.Context, f func() error) error {
	err := f()
	if !errors.Is(err, rc.SessionNeedsRenegotiation) {
		return err
	}
	if rerr := s.Reopen(ctx, s.pin); rerr != nil {
		return fmt.Errorf("%w; reopening the session: %w", err, rerr)
	}
	return f()
}

// call runs a request-response command of s through do.
func call[Req, Resp any](ctx context.Context, s *devSession, cmd func(context.Context, *Req) (*Resp, error), req *Req) (*Resp, error) {
	var resp *Resp
	err := s.do(ctx, func() error {
		var err error
		resp, err = cmd(ctx, req)
		return err
	})
	return resp, err
}

func readCertPEM(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

// printMessage prints a response in the JSON form of the spec (field
// names, enum and flag names as the spec spells them).
func printMessage(w io.Writer, m wire.Message) error {
	j, err := wire.ToJSON(m)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// chainNames are the file names `ihsm device certs` writes, root first as
// GetCertificateChain returns them, and `ihsm attest verify --chain` reads.
var chainNames = []string{"root.pem", "device.pem", "attestation.pem"}

func runDevice(args []string, stdout, stderr io.Writer) error {
	const usage = "usage: ihsm device info|caps|selftest [--run]|zeroize --yes|certs [--out DIR] [--target T] [--root F]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitError{2}
	}
	sub, args := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprintln(stderr, usage)
		return nil
	}
	fs, conn := hsmFlags("device "+sub, stderr, false)
	var out string
	var runTests, yes bool
	switch sub {
	case "certs":
		fs.StringVar(&out, "out", "", "directory to write root.pem, device.pem and attestation.pem (default: print PEM)")
	case "selftest":
		fs.BoolVar(&runTests, "run", false, "run the self-tests now instead of reading their status")
	case "zeroize":
		fs.BoolVar(&yes, "yes", false, "confirm: destroy every key and the credential of this partition")
	case "info", "caps":
	default:
		fmt.Fprintf(stderr, "ihsm device: unknown subcommand %q\n", sub)
		return exitError{2}
	}
	pos, err := hsmParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return hsmUsage(fs, "unexpected argument %q", pos[0])
	}
	if sub == "zeroize" && !yes {
		return hsmUsage(fs, "zeroize destroys the partition's keys and credential; confirm with --yes")
	}
	ctx, cl, done, err := conn.dial()
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "zeroize":
		if err := cl.Zeroize(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "partition zeroized; it is unprovisioned")
		return nil
	case "info":
		r, err := cl.GetDeviceInfo(ctx)
		if err != nil {
			return err
		}
		return printMessage(stdout, r)
	case "caps":
		r, err := cl.GetCapabilities(ctx)
		if err != nil {
			return err
		}
		return printMessage(stdout, r)
	case "selftest":
		if runTests {
			if _, err := cl.RunSelfTest(ctx); err != nil {
				return err
			}
		}
		r, err := cl.GetSelfTestStatus(ctx)
		if err != nil {
			return err
		}
		return printMessage(stdout, r)
	}
	// certs: verified before it is written, so a chain on disk is one the
	// client accepted (against --root, if given).
	ch, err := cl.Chain(ctx)
	if err != nil {
		return err
	}
	certs := []*x509.Certificate{ch.Root, ch.DeviceIdentity, ch.AttestationKey}
	if out == "" {
		for _, c := range certs {
			pem.Encode(stdout, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, c := range certs {
		p := filepath.Join(out, chainNames[i])
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, p)
	}
	return nil
}
