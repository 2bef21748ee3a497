package main

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
)

// firmwareVersion is the reference HSM's firmware version, set at release
// builds with -ldflags "-X main.firmwareVersion=v1.2.3"; otherwise it comes
// from the build information.
var firmwareVersion string

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runServe is `ihsm serve`: the reference HSM served on local sockets.
func runServe(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("ihsm serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	state := fl.String("state", "", "state directory: identity, partition credentials and lockout, kept across restarts")
	ephemeral := fl.Bool("ephemeral", false, "keep the device state in memory only (instead of --state)")
	socketDir := fl.String("socket-dir", "", "directory of the Unix sockets partition-N.sock and control.sock (default: a per-user directory under the system temporary directory)")
	partitions := fl.Int("partitions", 1, "number of partitions (fixed when the state is created)")
	tcp := fl.String("tcp", "", "also serve partition N on TCP `ADDR` port + N (loopback only unless --allow-non-loopback)")
	nonLoopback := fl.Bool("allow-non-loopback", false, "allow a --tcp address that is not loopback")
	control := fl.Bool("control", false, "also serve the control socket SOCKET-DIR/control.sock, for tests and conformance runs only: it can move the device clock past any PIN lockout, reset, tamper with and zeroize the device")
	controlPath := fl.String("control-path", "", "control socket path (implies --control)")
	idle := fl.Duration("idle-timeout", 0, "close connections idle this long (0: only when the connection limit needs their place)")
	selfTest := fl.Duration("self-test-interval", device.DefaultSelfTestInterval, "period of the periodic self-tests (0 disables)")
	maxConns := fl.Int("max-connections", server.DefaultMaxConnections, "open connections allowed per endpoint")
	applyFaults := serveFaults(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ihsm serve (--state DIR | --ephemeral) [--socket-dir DIR] [--partitions N] [--tcp 127.0.0.1:PORT [--allow-non-loopback]] [--control [--control-path PATH]]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return parseError(err)
	}
	if fl.NArg() != 0 || (*state == "") == !*ephemeral || *partitions < 1 {
		fl.Usage()
		return exitError{2}
	}
	cfg := device.Config{Partitions: *partitions, SelfTestInterval: *selfTest}
	if *selfTest == 0 {
		cfg.SelfTestInterval = -1
	}
	if err := applyFaults(&cfg, *state, *nonLoopback, stderr); err != nil {
		return err
	}
	var err error
	cfg.FirmwareVersion, cfg.FirmwareMeasurement, err = measureFirmware()
	if err != nil {
		return err
	}
	if *state != "" {
		dir, err := device.OpenStateDir(*state)
		if err != nil {
			return err
		}
		defer dir.Close()
		cfg.Store = dir
	}
	d, err := device.New(cfg)
	if err != nil {
		if errors.Is(err, device.ErrStateCorrupt) || errors.Is(err, device.ErrStateForeign) {
			return fmt.Errorf("refusing state directory %s: %w", *state, err)
		}
		return err
	}
	defer d.Close()
	if *socketDir == "" {
		*socketDir = filepath.Join(os.TempDir(), fmt.Sprintf("ihsm-%d", os.Getuid()))
	}
	srv, err := server.Listen(server.Config{Device: d, SocketDir: *socketDir, Control: *control, ControlPath: *controlPath,
		TCPAddr: *tcp, AllowNonLoopback: *nonLoopback, MaxConnections: *maxConns, IdleTimeout: *idle})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "firmware %s sha384:%s\n", cfg.FirmwareVersion, hex.EncodeToString(cfg.FirmwareMeasurement[:]))
	fmt.Fprintf(stdout, "device state %d\n", d.State())
	for _, e := range srv.Endpoints() {
		fmt.Fprintf(stdout, "partition %d %s\n", e.Partition, e.Target())
	}
	if p := srv.ControlPath(); p != "" {
		fmt.Fprintf(stdout, "control unix://%s\n", p)
		fmt.Fprintln(stderr, "ihsm serve: warning: the control socket is on; whoever can reach it can defeat PIN lockout and zeroize the device (tests and conformance only)")
	}
	fmt.Fprintln(stdout, "ready")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	err = srv.Serve(ctx)
	fmt.Fprintf(stdout, "stopped after %s\n", time.Since(start).Round(time.Millisecond))
	return err
}

// measureFirmware returns the firmware version and the SHA-384 of the
// running binary: the measurement the device puts into its attestation key
// certificate and device attestation, so a verifier can tell which build
// is running.
func measureFirmware() (string, [48]byte, error) {
	var m [48]byte
	exe, err := os.Executable()
	if err != nil {
		return "", m, fmt.Errorf("measure firmware: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", m, fmt.Errorf("measure firmware: %w", err)
	}
	defer f.Close()
	h := sha512.New384()
	if _, err := io.Copy(h, f); err != nil {
		return "", m, fmt.Errorf("measure firmware: %w", err)
	}
	copy(m[:], h.Sum(nil))
	v := firmwareVersion
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += "+" + s.Value[:12]
				}
			}
		}
	}
	return v, m, nil
}
