//go:build !ihsmfirmware

package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

const keyUsageText = `usage: ihsm key <subcommand> [flags]

Every subcommand opens its own session (PIN from --pin-file or IHSM_PIN) and
closes it when it ends. Keys stay on the device while it runs and are named
by --key HANDLE; a key survives a device restart only as its masked blob
(--masked-out FILE when it is made), which --masked FILE re-imports for one
command (the re-imported copy is deleted again when the command ends; a
tagged key that is still loaded is used as it is). A command that meets a
migration of the device (SessionNeedsRenegotiation) reopens its session
with the same PIN and runs once more.

  gen     --kind ecc-p256 [--usage sign,verify] [--tag N] [--label S] [--masked-out F] [--pub-out F]
  list
  delete  --key HANDLE
  pub     --key HANDLE|--masked F [--pem] [--out F]
  sign    --key HANDLE|--masked F --alg ecdsa-sha256 --in F --out SIG
  verify  --key HANDLE|--masked F --alg ecdsa-sha256 --in F --sig SIG
  encrypt --key HANDLE|--masked F --alg aes-gcm --in F --out F [--aad F]
  decrypt --key HANDLE|--masked F --alg aes-gcm --in F --out F [--aad F]
  wrap    --in KEY.pem|--raw F --out WRAPPED
  unwrap  --in WRAPPED --kind K [--usage U] [--tag N] [--masked-out F] [--pub-out F]
  attest  --key HANDLE|--masked F [--report-data HEX] --out REPORT
  hmac    --key HANDLE|--masked F --in F --out MAC

  encapsulate --key HANDLE|--masked F --out CIPHERTEXT [derived-key flags]
  decapsulate --key HANDLE|--masked F --in CIPHERTEXT [derived-key flags]
  ecdh        --key HANDLE|--masked F --peer PUB [derived-key flags]
  hkdf        --key HANDLE|--masked F --hash sha256 --target-kind aes-256 [--salt HEX] [--info HEX] [derived-key flags]
  kbkdf       --key HANDLE|--masked F --hash sha256 --target-kind aes-256 [--kdf-label HEX] [--context HEX] [derived-key flags]
  derived-key flags: [--usage U] [--tag N] [--label S] [--masked-out F]

A shared secret (ML-KEM-768 encapsulate and decapsulate, ECDH) and a
derived key stay in the device: the command prints the new key's handle and
writes its masked blob with --masked-out; only the ML-KEM ciphertext leaves.
A shared secret is usable only for derivation (hkdf, kbkdf). --peer is the
peer's EC public key as PEM, DER SubjectPublicKeyInfo or an uncompressed
SEC 1 point. The MAC of 'hmac' is written as the device returns it.

ECDSA and RSA algorithms sign the hash of --in (the CLI hashes it with the
algorithm's hash); Ed25519 and ML-DSA-65 sign --in itself. Signatures are
written as the device returns them (ECDSA: ASN.1 DER), so OpenSSL verifies
them against the PEM from 'ihsm key pub --pem'. Encryption with an IV writes
IV || ciphertext, and decryption reads the same layout.
`

func runKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, keyUsageText)
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	k := &keyCmd{sub: sub, stdout: stdout}
	fs, conn := hsmFlags("key "+sub, stderr, true)
	k.fs, k.conn = fs, conn
	switch sub {
	case "gen":
		fs.StringVar(&k.kind, "kind", "", "key kind: ecc-p256, ecc-p384, ecc-p521, rsa-2048, rsa-3072, rsa-4096, aes-128, aes-256, hmac-sha256, ed25519, ml-dsa-65, ml-kem-768, ...")
		k.usageFlags()
	case "unwrap":
		fs.StringVar(&k.kind, "kind", "", "kind of the wrapped key")
		fs.StringVar(&k.in, "in", "", "wrapped key (from ihsm key wrap)")
		k.usageFlags()
	case "list":
	case "delete":
		k.refFlags(false)
	case "pub":
		k.refFlags(true)
		fs.BoolVar(&k.pem, "pem", false, "write PEM instead of DER")
		fs.StringVar(&k.out, "out", "", "output file (default stdout)")
	case "sign", "verify", "encrypt", "decrypt":
		k.refFlags(true)
		fs.StringVar(&k.alg, "alg", "", "algorithm: ecdsa-sha256, rsa-pss-sha256, rsa-pkcs1-sha256, ed25519, ml-dsa-65, aes-gcm, aes-cbc, aes-kwp, rsa-oaep-sha256, ...")
		fs.StringVar(&k.in, "in", "", "input file")
		if sub == "verify" {
			fs.StringVar(&k.sig, "sig", "", "signature file")
		} else {
			fs.StringVar(&k.out, "out", "", "output file")
		}
		if sub == "encrypt" || sub == "decrypt" {
			fs.StringVar(&k.aad, "aad", "", "file of additional authenticated data (AES-GCM)")
		}
	case "wrap":
		fs.StringVar(&k.in, "in", "", "PEM private key to wrap (PKCS #8, SEC 1 or PKCS #1)")
		fs.StringVar(&k.raw, "raw", "", "file of raw secret or symmetric key bytes to wrap instead of --in")
		fs.StringVar(&k.out, "out", "", "output file for the wrapped key")
	case "attest":
		k.refFlags(true)
		fs.StringVar(&k.reportData, "report-data", "", "hex report_data to bind into the report (at most 64 bytes)")
		fs.StringVar(&k.out, "out", "", "output file for the COSE_Sign1 report")
	case "hmac":
		k.refFlags(true)
		fs.StringVar(&k.in, "in", "", "message file")
		fs.StringVar(&k.out, "out", "", "output file for the MAC (- for stdout)")
	case "encapsulate":
		k.refFlags(true)
		fs.StringVar(&k.out, "out", "", "output file for the ML-KEM-768 ciphertext")
		k.derivedFlags()
	case "decapsulate":
		k.refFlags(true)
		fs.StringVar(&k.in, "in", "", "ML-KEM-768 ciphertext file")
		k.derivedFlags()
	case "ecdh":
		k.refFlags(true)
		fs.StringVar(&k.peer, "peer", "", "the peer's EC public key: PEM, DER SubjectPublicKeyInfo or SEC 1 uncompressed point")
		k.derivedFlags()
	case "hkdf", "kbkdf":
		k.refFlags(true)
		fs.StringVar(&k.hash, "hash", "", "hash: sha256, sha384 or sha512")
		fs.StringVar(&k.targetKind, "target-kind", "", "kind of the derived key: an AES or HMAC kind (aes-256, hmac-sha256, ...)")
		if sub == "hkdf" {
			fs.StringVar(&k.salt, "salt", "", "HKDF salt, hex")
			fs.StringVar(&k.info, "info", "", "HKDF info, hex")
		} else {
			fs.StringVar(&k.kdfLabel, "kdf-label", "", "KBKDF Label, hex")
			fs.StringVar(&k.context, "context", "", "KBKDF Context, hex")
		}
		k.derivedFlags()
	default:
		fmt.Fprintf(stderr, "ihsm key: unknown subcommand %q\n\n%s", sub, keyUsageText)
		return exitError{2}
	}
	pos, err := hsmParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return hsmUsage(fs, "unexpected argument %q", pos[0])
	}
	return k.run()
}

type keyCmd struct {
	sub    string
	fs     *flag.FlagSet
	conn   *hsmConn
	stdout io.Writer

	kind, usage, label, tag       string
	key, masked                   string
	alg, in, out, sig, aad, raw   string
	maskedOut, pubOut, reportData string
	pem                           bool

	peer, hash, targetKind        string
	salt, info, kdfLabel, context string
	// algv is --alg, parsed before the PIN is asked for.
	algv wire.Algorithm
}

func (k *keyCmd) usageFlags() {
	k.fs.StringVar(&k.usage, "usage", "", "comma-separated usage: sign, verify, encrypt, decrypt, wrap, unwrap, derive, session-only (default by kind)")
	k.fs.StringVar(&k.tag, "tag", "", "tag (1..65535) to find the key by with OpenKey")
	k.fs.StringVar(&k.label, "label", "", "label (at most 64 bytes)")
	k.fs.StringVar(&k.maskedOut, "masked-out", "", "write the masked key blob here")
	k.fs.StringVar(&k.pubOut, "pub-out", "", "write the public key here as PEM")
}

// derivedFlags are the attributes of a key a derivation or KEM makes.
func (k *keyCmd) derivedFlags() {
	k.fs.StringVar(&k.usage, "usage", "", "comma-separated usage of the new key (default: derive for a shared secret, by kind otherwise)")
	k.fs.StringVar(&k.tag, "tag", "", "tag (1..65535) to find the new key by with OpenKey")
	k.fs.StringVar(&k.label, "label", "", "label of the new key (at most 64 bytes)")
	k.fs.StringVar(&k.maskedOut, "masked-out", "", "write the new key's masked blob here")
}

func (k *keyCmd) refFlags(masked bool) {
	k.fs.StringVar(&k.key, "key", "", "key handle (decimal or 0x hex)")
	if masked {
		k.fs.StringVar(&k.masked, "masked", "", "masked key blob to re-import for this command")
	}
}

func (k *keyCmd) need(flags ...string) error {
	for _, f := range flags {
		if k.fs.Lookup(f).Value.String() == "" {
			return hsmUsage(k.fs, "--%s is required", f)
		}
	}
	return nil
}

func (k *keyCmd) run() error {
	// Check what can be checked before asking for a PIN.
	switch k.sub {
	case "gen":
		if err := k.need("kind"); err != nil {
			return err
		}
	case "unwrap":
		if err := k.need("kind", "in"); err != nil {
			return err
		}
	case "sign", "encrypt", "decrypt":
		if err := k.need("alg", "in", "out"); err != nil {
			return err
		}
	case "verify":
		if err := k.need("alg", "in", "sig"); err != nil {
			return err
		}
	case "wrap":
		if err := k.need("out"); err != nil {
			return err
		}
		if (k.in == "") == (k.raw == "") {
			return hsmUsage(k.fs, "give exactly one of --in and --raw")
		}
	case "attest", "encapsulate":
		if err := k.need("out"); err != nil {
			return err
		}
	case "hmac":
		if err := k.need("in", "out"); err != nil {
			return err
		}
	case "decapsulate":
		if err := k.need("in"); err != nil {
			return err
		}
	case "ecdh":
		if err := k.need("peer"); err != nil {
			return err
		}
	case "hkdf", "kbkdf":
		if err := k.need("hash", "target-kind"); err != nil {
			return err
		}
	}
	if k.alg != "" {
		alg, err := parseAlg(k.alg)
		if err != nil {
			return hsmUsage(k.fs, "%v", err)
		}
		if strings.HasPrefix(alg.String(), "Hmac") {
			return hsmUsage(k.fs, "--alg %s: an HMAC is not a signature or a cipher; compute it with 'ihsm key hmac --key HANDLE --in F --out MAC'", alg)
		}
		k.algv = alg
	}
	if k.fs.Lookup("key") != nil && k.sub != "list" {
		if k.masked == "" && k.key == "" && k.fs.Lookup("masked") == nil {
			return hsmUsage(k.fs, "name the key with --key HANDLE")
		}
		if k.masked == "" && k.key == "" {
			return hsmUsage(k.fs, "name the key with --key HANDLE or --masked FILE")
		}
		if k.masked != "" && k.key != "" {
			return hsmUsage(k.fs, "give only one of --key and --masked")
		}
	}
	ctx, s, done, err := k.conn.session()
	if err != nil {
		return err
	}
	defer done()
	switch k.sub {
	case "gen":
		return k.gen(ctx, s)
	case "unwrap":
		return k.unwrap(ctx, s)
	case "list":
		return k.list(ctx, s)
	case "wrap":
		return k.wrap(ctx, s)
	}
	handle, release, err := k.resolve(ctx, s)
	if err != nil {
		return err
	}
	defer release()
	switch k.sub {
	case "delete":
		if _, err := call(ctx, s, s.DeleteKey, &wire.DeleteKeyRequest{KeyHandle: handle}); err != nil {
			return err
		}
		fmt.Fprintf(k.stdout, "deleted key 0x%08x\n", handle)
		return nil
	case "pub":
		return k.pub(ctx, s, handle)
	case "sign":
		return k.signCmd(ctx, s, handle)
	case "verify":
		return k.verify(ctx, s, handle)
	case "encrypt":
		return k.encrypt(ctx, s, handle)
	case "decrypt":
		return k.decrypt(ctx, s, handle)
	case "attest":
		return k.attest(ctx, s, handle)
	case "hmac":
		return k.hmac(ctx, s, handle)
	case "encapsulate", "decapsulate", "ecdh", "hkdf", "kbkdf":
		return k.derive(ctx, s, handle)
	}
	return nil
}

// resolve returns the handle named by --key, or re-imports --masked and
// returns a function that deletes the re-imported copy again.
func (k *keyCmd) resolve(ctx context.Context, s *devSession) (uint32, func(), error) {
	if k.key != "" {
		h, err := strconv.ParseUint(k.key, 0, 32)
		if err != nil {
			return 0, nil, hsmUsage(k.fs, "--key %q: not a handle", k.key)
		}
		return uint32(h), func() {}, nil
	}
	blob, err := os.ReadFile(k.masked)
	if err != nil {
		return 0, nil, err
	}
	r, err := call(ctx, s, s.UnmaskKey, &wire.UnmaskKeyRequest{MaskedKey: blob})
	if errors.Is(err, rc.KeyTagExists) {
		return k.loadedTagged(ctx, s, blob)
	}
	if err != nil {
		return 0, nil, err
	}
	return r.KeyHandle, func() { call(ctx, s, s.DeleteKey, &wire.DeleteKeyRequest{KeyHandle: r.KeyHandle}) }, nil
}

// loadedTagged handles a masked blob of a tagged key that is still loaded
// (its tag is taken, so UnmaskKey refuses a second copy): the loaded key
// with the blob's tag is used, if its kind and usage are the blob's. The
// blob's header is public (spec: architecture masked-key, version 1):
// key_kind at offset 28, usage at 32, tag at 36, all big-endian.
func (k *keyCmd) loadedTagged(ctx context.Context, s *devSession, blob []byte) (uint32, func(), error) {
	if len(blob) < 40 {
		return 0, nil, fmt.Errorf("UnmaskKey: %w", rc.MaskedKeyMalformed)
	}
	kind := wire.KeyKind(binary.BigEndian.Uint32(blob[28:]))
	usage := wire.KeyUsage(binary.BigEndian.Uint32(blob[32:]))
	tag := binary.BigEndian.Uint16(blob[36:])
	o, err := call(ctx, s, s.OpenKey, &wire.OpenKeyRequest{Tag: tag})
	if err != nil {
		return 0, nil, err
	}
	if o.Kind != kind || o.Usage != usage {
		return 0, nil, fmt.Errorf("UnmaskKey: tag %d is taken by another key (%v): %w", tag, o.Kind, rc.KeyTagExists)
	}
	return o.KeyHandle, func() {}, nil
}

func (k *keyCmd) gen(ctx context.Context, s *devSession) error {
	kind, err := parseKind(k.kind)
	if err != nil {
		return hsmUsage(k.fs, "%v", err)
	}
	usage, tag, err := k.policy(kind)
	if err != nil {
		return err
	}
	r, err := call(ctx, s, s.GenerateKey, &wire.GenerateKeyRequest{Kind: kind, Usage: usage, Tag: tag, Label: k.label})
	if err != nil {
		return err
	}
	return k.created(r.KeyHandle, kind, r.PublicKey, r.MaskedKey)
}

func (k *keyCmd) unwrap(ctx context.Context, s *devSession) error {
	kind, err := parseKind(k.kind)
	if err != nil {
		return hsmUsage(k.fs, "%v", err)
	}
	usage, tag, err := k.policy(kind)
	if err != nil {
		return err
	}
	wrapped, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	r, err := call(ctx, s, s.UnwrapKey, &wire.UnwrapKeyRequest{Wrapped: wrapped, Kind: kind, Usage: usage, Tag: tag, Label: k.label})
	if err != nil {
		return err
	}
	return k.created(r.KeyHandle, kind, r.PublicKey, r.MaskedKey)
}

func (k *keyCmd) policy(kind wire.KeyKind) (wire.KeyUsage, *uint16, error) {
	usage := defaultUsage(kind)
	if k.usage != "" {
		u, err := parseUsage(k.usage)
		if err != nil {
			return 0, nil, hsmUsage(k.fs, "%v", err)
		}
		usage = u
	}
	var tag *uint16
	if k.tag != "" {
		t, err := strconv.ParseUint(k.tag, 0, 16)
		if err != nil || t == 0 {
			return 0, nil, hsmUsage(k.fs, "--tag %q: want 1..65535", k.tag)
		}
		v := uint16(t)
		tag = &v
	}
	return usage, tag, nil
}

func (k *keyCmd) created(handle uint32, kind wire.KeyKind, pub, masked []byte) error {
	if k.maskedOut != "" {
		if err := os.WriteFile(k.maskedOut, masked, 0o600); err != nil {
			return err
		}
	}
	if k.pubOut != "" && len(pub) != 0 {
		if err := os.WriteFile(k.pubOut, pemPublic(pub), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(k.stdout, "key 0x%08x %v\n", handle, kind)
	return nil
}

func (k *keyCmd) list(ctx context.Context, s *devSession) error {
	r, err := call(ctx, s, s.ListKeys, &wire.ListKeysRequest{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(k.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HANDLE\tTAG\tKIND")
	for i, h := range r.KeyHandles {
		tag, kind := "-", "?"
		if i < len(r.Tags) && r.Tags[i] != 0 {
			tag = strconv.Itoa(int(r.Tags[i]))
		}
		if i < len(r.Kinds) {
			kind = r.Kinds[i].String()
		}
		fmt.Fprintf(tw, "0x%08x\t%s\t%s\n", h, tag, kind)
	}
	return tw.Flush()
}

func (k *keyCmd) pub(ctx context.Context, s *devSession, handle uint32) error {
	r, err := call(ctx, s, s.GetPublicKey, &wire.GetPublicKeyRequest{KeyHandle: handle})
	if err != nil {
		return err
	}
	if len(r.PublicKey) == 0 {
		return fmt.Errorf("key 0x%08x (%v) is symmetric: it has no public key", handle, r.Kind)
	}
	out := r.PublicKey
	if k.pem {
		out = pemPublic(out)
	}
	return writeOut(k.out, k.stdout, out)
}

func pemPublic(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func writeOut(path string, stdout io.Writer, b []byte) error {
	if path == "" || path == "-" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// signInput returns what Sign and Verify take for alg: the hash of the
// input for ECDSA and RSA, the input itself for Ed25519 and ML-DSA-65.
func signInput(alg wire.Algorithm, msg []byte) []byte {
	h := algHash(alg)
	if h == 0 {
		return msg
	}
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

func algHash(alg wire.Algorithm) crypto.Hash {
	n := alg.String()
	switch {
	case strings.HasPrefix(n, "Hmac"), strings.HasPrefix(n, "RsaOaep"):
		return 0
	case strings.HasSuffix(n, "Sha256"):
		return crypto.SHA256
	case strings.HasSuffix(n, "Sha384"):
		return crypto.SHA384
	case strings.HasSuffix(n, "Sha512"):
		return crypto.SHA512
	}
	return 0
}

func (k *keyCmd) signCmd(ctx context.Context, s *devSession, handle uint32) error {
	alg := k.algv
	msg, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	r, err := call(ctx, s, s.Sign, &wire.SignRequest{KeyHandle: handle, Algorithm: alg, Data: signInput(alg, msg)})
	if err != nil {
		return err
	}
	return writeOut(k.out, k.stdout, r.Signature)
}

func (k *keyCmd) verify(ctx context.Context, s *devSession, handle uint32) error {
	alg := k.algv
	msg, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	sig, err := os.ReadFile(k.sig)
	if err != nil {
		return err
	}
	req := &wire.VerifyRequest{KeyHandle: handle, Algorithm: alg, Data: signInput(alg, msg), Signature: sig}
	if err := s.do(ctx, func() error { return s.Verify(ctx, req) }); err != nil {
		return err
	}
	fmt.Fprintln(k.stdout, "signature valid")
	return nil
}

// ivSize is the IV the device returns with a ciphertext for alg (written
// before the ciphertext by encrypt, split off by decrypt).
func ivSize(alg wire.Algorithm) int {
	switch alg {
	case wire.AlgorithmAesGcm:
		return 12
	case wire.AlgorithmAesCbc:
		return 16
	}
	return 0
}

func (k *keyCmd) readAAD() ([]byte, error) {
	if k.aad == "" {
		return nil, nil
	}
	return os.ReadFile(k.aad)
}

func (k *keyCmd) encrypt(ctx context.Context, s *devSession, handle uint32) error {
	alg := k.algv
	pt, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	aad, err := k.readAAD()
	if err != nil {
		return err
	}
	r, err := call(ctx, s, s.Encrypt, &wire.EncryptRequest{KeyHandle: handle, Algorithm: alg, Plaintext: pt, AAD: aad})
	if err != nil {
		return err
	}
	if n := ivSize(alg); n != 0 && len(r.IV) != n {
		return fmt.Errorf("encrypt: device returned a %d-byte IV for %v", len(r.IV), alg)
	}
	return writeOut(k.out, k.stdout, append(append([]byte(nil), r.IV...), r.Ciphertext...))
}

func (k *keyCmd) decrypt(ctx context.Context, s *devSession, handle uint32) error {
	alg := k.algv
	in, err := os.ReadFile(k.in)
	if err != nil {
		return err
	}
	aad, err := k.readAAD()
	if err != nil {
		return err
	}
	n := ivSize(alg)
	if len(in) < n {
		return fmt.Errorf("decrypt: input shorter than the %d-byte IV", n)
	}
	r, err := call(ctx, s, s.Decrypt, &wire.DecryptRequest{KeyHandle: handle, Algorithm: alg, IV: in[:n], Ciphertext: in[n:], AAD: aad})
	if err != nil {
		return err
	}
	return writeOut(k.out, k.stdout, r.Plaintext)
}

func (k *keyCmd) wrap(ctx context.Context, s *devSession) error {
	var material []byte
	if k.raw != "" {
		b, err := os.ReadFile(k.raw)
		if err != nil {
			return err
		}
		material = b
	} else {
		b, err := os.ReadFile(k.in)
		if err != nil {
			return err
		}
		material, err = pkcs8FromPEM(b)
		if err != nil {
			return fmt.Errorf("--in: %w", err)
		}
	}
	defer clear(material)
	r, err := call(ctx, s, s.GetUnwrappingKey, &wire.GetUnwrappingKeyRequest{})
	if err != nil {
		return err
	}
	pub, err := x509.ParsePKIXPublicKey(r.PublicKey)
	if err != nil {
		return fmt.Errorf("unwrapping key: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return errors.New("unwrapping key is not RSA")
	}
	wrapped, err := client.WrapKey(rsaPub, material)
	if err != nil {
		return err
	}
	return os.WriteFile(k.out, wrapped, 0o644)
}

func (k *keyCmd) attest(ctx context.Context, s *devSession, handle uint32) error {
	rd, err := hex.DecodeString(k.reportData)
	if err != nil {
		return hsmUsage(k.fs, "--report-data: %v", err)
	}
	r, err := call(ctx, s, s.AttestKey, &wire.AttestKeyRequest{KeyHandle: handle, ReportData: rd})
	if err != nil {
		return err
	}
	return os.WriteFile(k.out, r.Report, 0o644)
}

// pkcs8FromPEM reads a PEM private key in any of the usual encodings and
// returns it as PKCS #8, the encoding UnwrapKey imports.
func pkcs8FromPEM(b []byte) ([]byte, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch blk.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", blk.Type)
	}
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

// normName folds a spec name or a CLI spelling to one form: "ecc-p256",
// "EccP256" and "eccp256" all become "eccp256".
func normName(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
}

func parseKind(s string) (wire.KeyKind, error) {
	var names []string
	for _, v := range wire.KeyKindValues() {
		if normName(v.String()) == normName(s) {
			return v, nil
		}
		names = append(names, v.String())
	}
	return 0, fmt.Errorf("unknown key kind %q (one of %s)", s, strings.Join(names, ", "))
}

func parseAlg(s string) (wire.Algorithm, error) {
	var names []string
	for _, v := range wire.AlgorithmValues() {
		if normName(v.String()) == normName(s) {
			return v, nil
		}
		names = append(names, v.String())
	}
	return 0, fmt.Errorf("unknown algorithm %q (one of %s)", s, strings.Join(names, ", "))
}

// parseUsage reads a comma-separated list of KeyUsage bit names.
func parseUsage(s string) (wire.KeyUsage, error) {
	var u wire.KeyUsage
	for _, part := range strings.Split(s, ",") {
		found := false
		for bit := 0; bit < 32; bit++ {
			v := wire.KeyUsage(1) << bit
			names, ok := v.Names()
			if ok && len(names) == 1 && normName(names[0]) == normName(strings.TrimSpace(part)) {
				u |= v
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown key usage %q", part)
		}
	}
	return u, nil
}

// defaultUsage is what a key of kind is made for when --usage is not
// given: signing keys sign and verify, encryption keys encrypt and
// decrypt, KEM and ECDH keys and secrets derive.
func defaultUsage(kind wire.KeyKind) wire.KeyUsage {
	n := kind.String()
	switch {
	case strings.HasPrefix(n, "Aes"):
		return wire.KeyUsageEncrypt | wire.KeyUsageDecrypt
	case strings.HasPrefix(n, "MlKem"), strings.HasPrefix(n, "Secret"):
		return wire.KeyUsageDerive
	}
	return wire.KeyUsageSign | wire.KeyUsageVerify
}
