//go:build !ihsmfirmware

package main

import (
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/openihsm/openihsm/spec/client"
)

const attestUsageText = `usage: ihsm attest <subcommand> [flags]

  verify --report F --chain DIR [--root F] [--report-data HEX]
         check a key report (ihsm key attest) or a device report
         (ihsm attest device) against the chain written by
         'ihsm device certs --out DIR', and print its payload
  device --out F [--report-data HEX] [--target T]
         fetch a device attestation report
`

func runAttest(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, attestUsageText)
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return attestVerify(args[1:], stdout, stderr)
	case "device":
		return attestDevice(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ihsm attest: unknown subcommand %q\n\n%s", args[0], attestUsageText)
	return exitError{2}
}

func attestDevice(args []string, stdout, stderr io.Writer) error {
	fs, conn := hsmFlags("attest device", stderr, false)
	out := fs.String("out", "", "output file for the COSE_Sign1 report")
	rdHex := fs.String("report-data", "", "hex report_data (at most 64 bytes)")
	pos, err := hsmParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		return hsmUsage(fs, "needs --out and no arguments")
	}
	rd, err := hex.DecodeString(*rdHex)
	if err != nil {
		return hsmUsage(fs, "--report-data: %v", err)
	}
	ctx, cl, done, err := conn.dial()
	if err != nil {
		return err
	}
	defer done()
	report, err := cl.GetDeviceAttestation(ctx, rd)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, report, 0o644)
}

func attestVerify(args []string, stdout, stderr io.Writer) error {
	fs := newPlainFlags("attest verify", stderr)
	reportFile := fs.String("report", "", "COSE_Sign1 report")
	chainDir := fs.String("chain", "", "directory holding root.pem, device.pem and attestation.pem")
	rootFile := fs.String("root", os.Getenv("IHSM_ROOT"), "PEM root certificate the chain must end in (env IHSM_ROOT; default: the chain's own root)")
	rdHex := fs.String("report-data", "", "hex report_data the report must carry")
	pos, err := hsmParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *reportFile == "" || *chainDir == "" {
		return hsmUsage(fs, "needs --report and --chain")
	}
	report, err := os.ReadFile(*reportFile)
	if err != nil {
		return err
	}
	var chain [][]byte
	for _, n := range chainNames {
		b, err := os.ReadFile(filepath.Join(*chainDir, n))
		if err != nil {
			return err
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return fmt.Errorf("%s: no PEM CERTIFICATE", n)
		}
		chain = append(chain, blk.Bytes)
	}
	var opts []client.VerifyOption
	if *rootFile != "" {
		root, err := readCertPEM(*rootFile)
		if err != nil {
			return fmt.Errorf("--root: %w", err)
		}
		opts = append(opts, client.WithRoot(root))
	}
	if fs.Lookup("report-data").Value.String() != "" {
		rd, err := hex.DecodeString(*rdHex)
		if err != nil {
			return hsmUsage(fs, "--report-data: %v", err)
		}
		opts = append(opts, client.WithReportData(rd))
	}
	var payload any
	var ch *client.Chain
	kind := "key"
	kr, kch, kerr := client.VerifyKeyReport(report, chain, opts...)
	if kerr == nil {
		payload, ch = kr, kch
	} else {
		dr, dch, derr := client.VerifyDeviceAttestation(report, chain, opts...)
		if derr != nil {
			return fmt.Errorf("not a valid key report (%v) nor device report (%v)", kerr, derr)
		}
		payload, ch, kind = dr, dch, "device"
	}
	out, err := json.MarshalIndent(payload, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s report verified; attestation key certificate names firmware %s, measurement %x\n%s\n",
		kind, ch.FirmwareVersion, ch.FirmwareMeasurement, out)
	if *rootFile == "" {
		fmt.Fprintf(stderr, "warning: no --root given; the chain's own root (%s) was trusted\n", ch.Root.Subject)
	}
	return nil
}
