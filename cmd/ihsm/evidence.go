//go:build !ihsmfirmware

package main

import (
	"context"
	"crypto"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/release"
)

const evidenceUsage = `usage:
  ihsm evidence keygen --out PREFIX [--curve P-384|P-256|P-521]
  ihsm evidence build  --out DIR --key KEY [--source DIR] [--package ./cmd/ihsm]
                       [--conformance-report FILE --transcript FILE]
                       [--unit-tests-json FILE] [--sfr FILE] [--source-repo URL]
                       [--source-date-epoch N] [--fresh-cache=true] [--vcs auto|on|off]
                       [--allow-dirty]
  ihsm evidence verify DIR --trust TRUST.yaml [--device TARGET]
                       [--out-dir DIR/verification] [--key KEY]

keygen writes PREFIX.key (cosign's encrypted key format; password from
COSIGN_PASSWORD, empty allowed) and PREFIX.pub. build builds the reference
HSM binary twice reproducibly and writes the signed evidence into DIR:
SBOM, SLSA provenance, SPDX and test-result attestations, the build link and a
signed manifest. verify checks DIR offline against the trust file, prints a
report, writes a SLSA verification summary (signed when --key is given) and
exits non-zero naming the first broken link. With --device (unix:///path.sock
or tcp://host:port) it then asks that running device for a fresh signed
attestation and checks that its firmware measurement is the verified binary.
`

func runEvidence(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, evidenceUsage)
		return exitError{2}
	}
	switch args[0] {
	case "keygen":
		return evidenceKeygen(args[1:], stdout, stderr)
	case "build":
		return evidenceBuild(args[1:], stdout, stderr)
	case "verify":
		return evidenceVerify(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, evidenceUsage)
		return nil
	}
	fmt.Fprintf(stderr, "ihsm evidence: unknown subcommand %q\n%s", args[0], evidenceUsage)
	return exitError{2}
}

func evidenceFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ihsm evidence "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, evidenceUsage) }
	return fs
}

func evidenceUsageError(stderr io.Writer, format string, a ...any) error {
	fmt.Fprintf(stderr, "ihsm evidence: "+format+"\n", a...)
	return exitError{2}
}

func evidenceKeygen(args []string, stdout, stderr io.Writer) error {
	fs := evidenceFlags("keygen", stderr)
	out := fs.String("out", "", "write `PREFIX`.key and PREFIX.pub")
	curve := fs.String("curve", "P-384", "ECDSA curve")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		return evidenceUsageError(stderr, "keygen needs --out PREFIX and no other arguments")
	}
	c, err := keys.Curve(*curve)
	if err != nil {
		return err
	}
	priv, err := keys.WriteKeyPair(*out, c, keys.PasswordFromEnv())
	if err != nil {
		return err
	}
	id, _ := keys.KeyID(priv.Public())
	fmt.Fprintf(stdout, "wrote %s.key and %s.pub (ECDSA %s, key id %s)\n", *out, *out, c.Params().Name, id)
	return nil
}

func evidenceBuild(args []string, stdout, stderr io.Writer) error {
	fs := evidenceFlags("build", stderr)
	var o release.ProduceOptions
	var keyPath string
	fs.StringVar(&o.Out, "out", "", "evidence `DIR` to create")
	fs.StringVar(&keyPath, "key", "", "signing `KEY` (cosign encrypted or PKCS#8 PEM)")
	fs.StringVar(&o.Source, "source", ".", "module root to build")
	fs.StringVar(&o.Package, "package", "", "package to build (default ./cmd/ihsm, in its firmware build: -tags "+build.FirmwareTag+")")
	tags := fs.String("tags", "", "comma-separated build `TAGS` (default for the default package: "+build.FirmwareTag+")")
	fs.StringVar(&o.ConformanceReport, "conformance-report", "", "conformance-report.json of a run against this binary (its firmware_measurement must be the binary's)")
	fs.StringVar(&o.Transcript, "transcript", "", "the run's transcript.jsonl (its hash chain must end in the report's digest)")
	fs.StringVar(&o.UnitTestsJSON, "unit-tests-json", "", "`go test -json` output covering every package the binary is built from")
	fs.StringVar(&o.SFR, "sfr", "", "signed OCP SAFE short-form report of this binary")
	fs.StringVar(&o.SourceRepo, "source-repo", "", "repository URL recorded in the provenance")
	fs.Int64Var(&o.SourceDateEpoch, "source-date-epoch", -1, "SOURCE_DATE_EPOCH (default: $SOURCE_DATE_EPOCH, else HEAD's commit time)")
	fs.BoolVar(&o.FreshCache, "fresh-cache", true, "rebuild the second time with an empty build cache")
	fs.StringVar(&o.VCS, "vcs", "auto", "stamp the commit into the binary: auto (in a git work tree that is not a linked worktree), on or off")
	fs.BoolVar(&o.AllowModified, "allow-dirty", false, "build a git work tree with uncommitted changes (recorded; verify refuses it unless the trust file allows it)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || o.Out == "" || keyPath == "" {
		return evidenceUsageError(stderr, "build needs --out DIR and --key KEY")
	}
	if *tags != "" {
		o.Tags = strings.Split(*tags, ",")
	}
	if o.SourceDateEpoch < 0 {
		if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
			if _, err := fmt.Sscan(v, &o.SourceDateEpoch); err != nil || o.SourceDateEpoch < 0 {
				return fmt.Errorf("SOURCE_DATE_EPOCH %q is not a non-negative integer", v)
			}
		}
	}
	if o.Key, err = keys.LoadPrivate(keyPath, keys.PasswordFromEnv()); err != nil {
		return err
	}
	o.Stderr = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m, err := release.Produce(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "evidence for %s (sha384 %s) in %s: %d files, manifest %s\n",
		m.Subject.Path, m.Subject.Digest["sha384"], o.Out, len(m.Files)+1, filepath.Join(o.Out, release.ManifestFile))
	return nil
}

func evidenceVerify(args []string, stdout, stderr io.Writer) error {
	fs := evidenceFlags("verify", stderr)
	trustPath := fs.String("trust", "", "trust `FILE` (YAML)")
	outDir := fs.String("out-dir", "", "where to write report.txt, checks.json and the VSA (vsa.intoto.json, or vsa.dsse.json with --key) (default DIR/verification)")
	keyPath := fs.String("key", "", "sign the verification summary with `KEY`")
	device := fs.String("device", "", "also check the firmware a running device at `TARGET` attests (unix:///path.sock, tcp://host:port)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *trustPath == "" {
		return evidenceUsageError(stderr, "verify needs DIR and --trust FILE")
	}
	dir := pos[0]
	trust, err := release.LoadTrust(*trustPath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	sum, verr := release.Verify(ctx, dir, trust)
	if verr == nil && *device != "" {
		dctx, cancel := context.WithTimeout(ctx, time.Minute)
		verr = release.VerifyDevice(dctx, sum, trust, *device)
		cancel()
	}
	if err := release.WriteReport(stdout, sum, verr); err != nil {
		return err
	}
	if *outDir == "" {
		*outDir = filepath.Join(dir, release.VerificationDir)
	}
	var key crypto.Signer
	if *keyPath != "" {
		k, err := keys.LoadPrivate(*keyPath, keys.PasswordFromEnv())
		if err != nil {
			return err
		}
		key = k
	}
	if err := release.WriteVerification(ctx, *outDir, sum, trust, verr, key, time.Now()); err != nil {
		return err
	}
	if verr != nil {
		return fmt.Errorf("verification failed: %w", verr)
	}
	return nil
}
