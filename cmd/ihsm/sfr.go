//go:build !ihsmfirmware

package main

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/sfr"
)

const sfrUsage = `usage:
  ihsm sfr create --vendor V --product P --fw-version X --srp NAME
                  (--fw-file BINARY | --manifest DIR-or-LIST | both with --format corim)
                  [--repo-tag COMMIT] [--issues ISSUES.yaml] [--completion-date YYYY-MM-DD]
                  [--scope 1] [--report-version 1.0] [--methodology whitebox]
                  [--cvss-version 3.1] [--category C] [--framework-version 2.0]
                  --format corim|json --out FILE
  ihsm sfr sign   --key KEY --in FILE --format corim|jws [--kid KID] --out FILE
  ihsm sfr verify --key PUB.pem [--kid KID] [--fw BINARY] FILE
  ihsm sfr lint   FILE

Short-form reports of the OCP SAFE program: the legacy JSON signed as a
compact JWS (ES384, ES512, PS384, PS512), or a CoRIM with the OCP SAFE SFR
profile signed as COSE (framework 2.0). verify reads both, including the
multi-signer COSE_Sign of published reports; the key alone fixes the
algorithm. A COSE kid outside the signature must be the key's pinned kid
(--kid, by default the key file's name, as the OCP SAFE repository names
reviewer keys), so that no bit of a report can change unnoticed.
`

func runSFR(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, sfrUsage)
		return exitError{2}
	}
	switch args[0] {
	case "create":
		return sfrCreate(args[1:], stdout, stderr)
	case "sign":
		return sfrSign(args[1:], stdout, stderr)
	case "verify":
		return sfrVerify(args[1:], stdout, stderr)
	case "lint":
		return sfrLint(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, sfrUsage)
		return nil
	}
	fmt.Fprintf(stderr, "ihsm sfr: unknown subcommand %q\n%s", args[0], sfrUsage)
	return exitError{2}
}

// sfrFlags returns a flag set that reports usage errors as exit status 2.
func sfrFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ihsm sfr "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sfrUsage) }
	return fs
}

// parseArgs parses flags that may come before or after the positional
// arguments, and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitError{0}
			}
			return nil, exitError{2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usageError(stderr io.Writer, format string, a ...any) error {
	fmt.Fprintf(stderr, "ihsm sfr: "+format+"\n", a...)
	return exitError{2}
}

func sfrCreate(args []string, stdout, stderr io.Writer) error {
	fs := sfrFlags("create", stderr)
	var (
		r                                     sfr.Report
		fwFile, manifest, issues, format, out string
	)
	fs.StringVar(&r.Device.Vendor, "vendor", "", "device vendor")
	fs.StringVar(&r.Device.Product, "product", "", "device product")
	fs.StringVar(&r.Device.Category, "category", "", "device category (legacy JSON only)")
	fs.StringVar(&r.Device.FWVersion, "fw-version", "", "firmware version")
	fs.StringVar(&r.Device.RepoTag, "repo-tag", "", "source commit or tag reviewed (default: the commit a Go --fw-file records, else the git HEAD of --manifest)")
	fs.StringVar(&fwFile, "fw-file", "", "firmware binary to hash (SHA-384 and SHA-512)")
	fs.StringVar(&manifest, "manifest", "", "source directory, or a file listing source files one per line")
	fs.StringVar(&issues, "issues", "", "YAML list of issues {title, cvss_score, cvss_vector, cwe, description, cve}")
	fs.StringVar(&r.Audit.SRP, "srp", "", "security review provider")
	fs.StringVar(&r.Audit.Methodology, "methodology", "whitebox", "test methodology")
	fs.StringVar(&r.Audit.CompletionDate, "completion-date", "", "YYYY-MM-DD (default: SOURCE_DATE_EPOCH's day, else today, UTC)")
	fs.StringVar(&r.Audit.ReportVersion, "report-version", "1.0", "report version")
	fs.IntVar(&r.Audit.ScopeNumber, "scope", 1, "review scope number (1, 2 or 3)")
	fs.StringVar(&r.Audit.CVSSVersion, "cvss-version", "3.1", "CVSS version of the issues")
	fs.StringVar(&r.ReviewFrameworkVersion, "framework-version", "2.0", "OCP SAFE review framework version")
	fs.StringVar(&format, "format", "corim", "corim or json")
	fs.StringVar(&out, "out", "", "output file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 0:
		return usageError(stderr, "create takes no positional arguments")
	case out == "":
		return usageError(stderr, "create needs --out")
	case format != "corim" && format != "json":
		return usageError(stderr, "--format must be corim or json")
	case fwFile == "" && manifest == "":
		return usageError(stderr, "create needs --fw-file or --manifest")
	case fwFile != "" && manifest != "" && format == "json":
		// README "device fields": with a manifest, the JSON fw hashes are
		// the manifest's, so it cannot also bind a binary.
		return usageError(stderr, "the JSON format cannot carry both --fw-file and --manifest; use --format corim")
	}
	if r.Audit.CompletionDate == "" {
		r.Audit.CompletionDate = defaultDate()
	}
	if manifest != "" {
		entries, err := readManifest(manifest)
		if err != nil {
			return err
		}
		r.Device.Manifest = entries
		d, err := sfr.DigestReader(bytes.NewReader(sfr.ManifestJSON(entries)))
		if err != nil {
			return err
		}
		r.Device.FWHashSHA384, r.Device.FWHashSHA512 = hex.EncodeToString(d.SHA384), hex.EncodeToString(d.SHA512)
		r.Device.ManifestSHA512 = r.Device.FWHashSHA512
	}
	if fwFile != "" {
		d, err := sfr.DigestFile(fwFile)
		if err != nil {
			return fmt.Errorf("hash firmware: %w", err)
		}
		r.Device.FWHashSHA384, r.Device.FWHashSHA512 = hex.EncodeToString(d.SHA384), hex.EncodeToString(d.SHA512)
	}
	repoNote := ""
	if r.Device.RepoTag == "" {
		r.Device.RepoTag, repoNote = defaultRepoTag(fwFile, manifest, stderr)
	}
	r.Audit.Issues = []sfr.Issue{}
	if issues != "" {
		list, err := readIssues(issues)
		if err != nil {
			return err
		}
		r.Audit.Issues = list
	}
	if ps := sfr.Lint(&r); sfr.HasErrors(ps) {
		printProblems(stderr, ps)
		return errors.New("the report has lint errors; nothing written")
	}
	var data []byte
	if format == "json" {
		data, err = sfr.EncodeJSON(&r)
	} else {
		data, err = sfr.EncodeCoRIM(&r, sfr.CoRIMOptions{})
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, fw_hash_sha2_384 %s)\n", out, format, r.Device.FWHashSHA384)
	if repoNote != "" {
		fmt.Fprintf(stdout, "repo_tag %s (%s)\n", r.Device.RepoTag, repoNote)
	}
	return nil
}

// defaultRepoTag finds the source commit of the reviewed firmware: the
// vcs.revision a Go binary records, else the git HEAD of the source
// manifest's tree. It returns "" when there is none.
func defaultRepoTag(fwFile, manifest string, stderr io.Writer) (tag, note string) {
	if fwFile != "" {
		if v, err := build.ReadVCS(fwFile); err == nil && v.Revision != "" {
			if v.Modified {
				fmt.Fprintf(stderr, "warning: %s was built with uncommitted changes on top of %s\n", fwFile, v.Revision)
			}
			return v.Revision, "from the firmware's Go build information"
		}
	}
	if manifest != "" {
		dir := manifest
		if st, err := os.Stat(manifest); err == nil && !st.IsDir() {
			dir = filepath.Dir(manifest)
		}
		out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
		if head := strings.TrimSpace(string(out)); err == nil && head != "" {
			return head, "the git HEAD of " + dir
		}
	}
	return "", ""
}

// defaultDate is the day of SOURCE_DATE_EPOCH when set, so that a
// reproducible build produces the same report.
func defaultDate() string {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC().Format(time.DateOnly)
		}
	}
	return time.Now().UTC().Format(time.DateOnly)
}

// readManifest hashes a directory's regular files (names relative to it,
// in lexical order), or the files a list names one per line (relative to
// the list's directory).
func readManifest(path string) ([]sfr.ManifestEntry, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var names []string
	base := path
	if st.IsDir() {
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				rel, err := filepath.Rel(path, p)
				if err != nil {
					return err
				}
				names = append(names, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		base = filepath.Dir(path)
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				names = append(names, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("manifest %s names no files", path)
	}
	entries := make([]sfr.ManifestEntry, 0, len(names))
	for _, n := range names {
		d, err := sfr.DigestFile(filepath.Join(base, filepath.FromSlash(n)))
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		entries = append(entries, sfr.ManifestEntry{FileName: n, FileHash: hex.EncodeToString(d.SHA512)})
	}
	return entries, nil
}

// yamlIssue is one issue as written in an issues file.
type yamlIssue struct {
	Title       string  `yaml:"title"`
	CVSSScore   string  `yaml:"cvss_score"`
	CVSSVector  string  `yaml:"cvss_vector"`
	CWE         string  `yaml:"cwe"`
	Description string  `yaml:"description"`
	CVE         *string `yaml:"cve"`
}

func readIssues(path string) ([]sfr.Issue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []yamlIssue
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("issues %s: %w", path, err)
	}
	out := []sfr.Issue{}
	for _, i := range list {
		out = append(out, sfr.Issue{Title: i.Title, CVSSScore: i.CVSSScore, CVSSVector: i.CVSSVector, CWE: i.CWE, Description: i.Description, CVE: i.CVE})
	}
	return out, nil
}

func sfrSign(args []string, stdout, stderr io.Writer) error {
	fs := sfrFlags("sign", stderr)
	var keyPath, in, format, kid, out string
	fs.StringVar(&keyPath, "key", "", "private key: cosign's encrypted format (ihsm evidence keygen; password from COSIGN_PASSWORD), or PEM PKCS#8, SEC 1 or PKCS#1; EC P-384, P-521 or RSA 3072/4096")
	fs.StringVar(&in, "in", "", "unsigned report: JSON or CoRIM")
	fs.StringVar(&format, "format", "corim", "corim (COSE_Sign1) or jws")
	fs.StringVar(&kid, "kid", "", "key id for the header (default: the key file's name)")
	fs.StringVar(&out, "out", "", "output file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 0:
		return usageError(stderr, "sign takes no positional arguments")
	case keyPath == "" || in == "" || out == "":
		return usageError(stderr, "sign needs --key, --in and --out")
	case format != "corim" && format != "jws":
		return usageError(stderr, "--format must be corim or jws")
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	key, err := sfr.ParsePrivateKey(keyPEM, keys.PasswordFromEnv())
	if err != nil {
		return err
	}
	if kid == "" {
		kid = sfr.DefaultKeyID(keyPath)
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	isJSON := len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '{'
	var signed []byte
	switch {
	case format == "jws" && isJSON:
		signed, err = sfr.SignJWSPayload(bytes.TrimSpace(data), key, kid)
	case format == "corim" && !isJSON:
		// Sign the CoRIM as given, never re-encoded.
		signed, err = sfr.SignCOSE(data, key, kid)
	case format == "jws":
		var r *sfr.Report
		if r, err = sfr.ParseCoRIM(data); err == nil {
			if r.Device.ManifestSHA512 != "" && r.Device.ManifestSHA512 != r.Device.FWHashSHA512 {
				return errors.New("this CoRIM binds both a firmware file and a source manifest; the JSON format cannot carry both")
			}
			signed, err = sfr.SignJWS(r, key, kid)
		}
	default:
		var r *sfr.Report
		if r, err = sfr.ParseJSON(data); err == nil {
			var c []byte
			if c, err = sfr.EncodeCoRIM(r, sfr.CoRIMOptions{}); err == nil {
				signed, err = sfr.SignCOSE(c, key, kid)
			}
		}
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, kid %q)\n", out, format, kid)
	return nil
}

func sfrVerify(args []string, stdout, stderr io.Writer) error {
	fs := sfrFlags("verify", stderr)
	var keyPath, fw, kid string
	fs.StringVar(&keyPath, "key", "", "the reviewer's PEM public key")
	fs.StringVar(&fw, "fw", "", "firmware binary whose digests must match the report")
	fs.StringVar(&kid, "kid", "", "the kid the key is published under, which an unprotected COSE kid must be (default: the key file's name without extension)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || keyPath == "" {
		return usageError(stderr, "verify needs --key and one FILE")
	}
	if kid == "" {
		kid = sfr.DefaultKeyID(keyPath)
	}
	pub, err := loadPublicKey(keyPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	v, err := sfr.Verify(data, pub, sfr.WithKeyID(kid))
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	r := v.Report
	if fw != "" {
		if err := sfr.CheckFirmwareFile(r, fw); err != nil {
			return fmt.Errorf("%s: %w", fw, err)
		}
	}
	kidNote := "no kid"
	switch {
	case v.KeyID != "" && v.KeyIDProtected:
		kidNote = fmt.Sprintf("kid %q (signed)", v.KeyID)
	case v.KeyID != "":
		kidNote = fmt.Sprintf("kid %q (unprotected, the pinned kid)", v.KeyID)
	}
	fmt.Fprintf(stdout, "verified: %s, %s, %s\n", v.Form, v.Algorithm, kidNote)
	for _, kv := range [][2]string{
		{"vendor", r.Device.Vendor}, {"product", r.Device.Product}, {"fw_version", r.Device.FWVersion},
		{"fw_hash_sha2_384", r.Device.FWHashSHA384}, {"fw_hash_sha2_512", r.Device.FWHashSHA512},
		{"repo_tag", r.Device.RepoTag}, {"srp", r.Audit.SRP}, {"completion_date", r.Audit.CompletionDate},
		{"scope_number", strconv.Itoa(r.Audit.ScopeNumber)}, {"issues", strconv.Itoa(len(r.Audit.Issues))},
	} {
		fmt.Fprintf(stdout, "  %-17s %s\n", kv[0]+":", kv[1])
	}
	for _, is := range r.Audit.Issues {
		fmt.Fprintf(stdout, "  issue: %s (CVSS %s %s)\n", is.Title, is.CVSSScore, is.CVSSVector)
	}
	for _, p := range sfr.Lint(r) {
		fmt.Fprintf(stderr, "lint: %s\n", p)
	}
	if fw != "" {
		fmt.Fprintf(stdout, "firmware %s matches the report\n", fw)
	}
	return nil
}

func loadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return sfr.ParsePublicKeyPEM(b)
}

func sfrLint(args []string, stdout, stderr io.Writer) error {
	fs := sfrFlags("lint", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(stderr, "lint needs one FILE")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	r, err := sfr.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	ps := sfr.Lint(r)
	printProblems(stdout, ps)
	if sfr.HasErrors(ps) {
		return fmt.Errorf("%s: lint errors (signature not checked; use verify)", pos[0])
	}
	fmt.Fprintf(stdout, "%s: %d warnings, no errors (signature not checked; use verify)\n", pos[0], len(ps))
	return nil
}

func printProblems(w io.Writer, ps []sfr.Problem) {
	for _, p := range ps {
		fmt.Fprintln(w, p)
	}
}
